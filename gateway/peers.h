/* peers: how many connections each client address holds, for
 * MAX_CONNECTIONS_PER_IP.  A small open-addressing hash table owned by one
 * worker's gateway; peers_new()/peers_free(). */
#ifndef CP_PEERS_H
#define CP_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* A client address, compact: IPv4 as IPv4-mapped IPv6; other families one key. */
struct peers_key {
    uint8_t addr[16];
};

struct peers;

struct peers *peers_new(void);
void peers_free(struct peers *p); /* NULL is a no-op */

/* The key of a socket address (borrowed). */
struct peers_key peers_key_of(const struct sockaddr *sa);

/* Count one more connection from key unless it already holds limit: returns
 * true if added, false if over the limit. */
bool peers_add(struct peers *p, const struct peers_key *key, unsigned limit);

/* Count one connection from key gone (one that peers_add() accepted). */
void peers_remove(struct peers *p, const struct peers_key *key);

/* Connections counted for key. */
unsigned peers_count(const struct peers *p, const struct peers_key *key);

#endif
