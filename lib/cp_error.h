/* cp_error: the project's one error space of negative codes.
 * Pure functions, any thread.  Nothing to free: cp_strerror returns static text.
 * The same codes are used in return values and callback status (libuv style). */
#ifndef CP_ERROR_H
#define CP_ERROR_H

enum cp_error {
    CP_OK = 0,
    CP_EAGAIN = -1,  /* need more input; call again with more bytes */
    CP_EPROTO = -2,  /* peer broke the protocol */
    CP_ETOOBIG = -3, /* a size limit was exceeded */
    CP_EUTF8 = -4,   /* text is not valid UTF-8 */
    CP_ENOMEM = -5,  /* allocation failed */
    CP_EIO = -6,     /* system call or peer I/O failed */
    CP_EINVAL = -7,  /* bad argument or value */
    CP_ENOENT = -8,  /* no such file, key or symbol */
    CP_ESYNTAX = -9, /* malformed input line or document */
};

/* Return a static, human-readable description of code (one of enum cp_error). */
const char *cp_strerror(int code);

#endif
