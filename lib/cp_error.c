#include "config.h"

#include "cp_error.h"

const char *cp_strerror(int code)
{
    switch (code) {
    case CP_OK: return "success";
    case CP_EAGAIN: return "need more input";
    case CP_EPROTO: return "protocol error";
    case CP_ETOOBIG: return "size limit exceeded";
    case CP_EUTF8: return "invalid UTF-8";
    case CP_ENOMEM: return "out of memory";
    case CP_EIO: return "input/output error";
    case CP_EINVAL: return "invalid value";
    case CP_ENOENT: return "not found";
    case CP_ESYNTAX: return "syntax error";
    }
    return "unknown error";
}
