/*
 * multi.h - the multi userdata, shared by multi.c (adding and running
 * transfers) and multi_loop.c (the driver a host event loop pumps).
 */
#ifndef MAUTIC_MULTI_H
#define MAUTIC_MULTI_H

#include "mcore.h"

#define MC_IDLE_MAX 16

enum { X_ADDING, X_ACTIVE, X_DONE };

/* a socket curl wants watched (event-loop block); serial names one socket's
   lifetime, so a host can tell a new socket that reuses a closed one's fd */
typedef struct mc_sock {
    curl_socket_t fd;
    int what;                 /* CURL_POLL_IN / OUT / INOUT */
    lua_Integer serial;
    struct mc_sock *next;
} mc_sock;

typedef struct mc_multi {
    CURLM *multi;
    mc_xfer *xfers; /* added and not yet returned by run(), oldest first */
    mc_xfer *idle;
    int nidle;
    int pending;
    int busy;
    int closed;
    lua_Integer next_id;
    /* event-loop block */
    mc_sock *socks;
    lua_Integer next_serial;
    int events_on;
} mc_multi;

mc_multi *mc_multi_check(lua_State *L);
int mc_multi_fail(lua_State *L, const char *msg, const char *kind);
int mc_multi_collect(mc_multi *m);
int mc_multi_push_finished(lua_State *L, mc_multi *m);

/* multi_loop.c */
void mc_multi_events_free(mc_multi *m);
int mc_multi_fds(lua_State *L);
int mc_multi_perform(lua_State *L);
int mc_multi_timeout(lua_State *L);

#endif /* MAUTIC_MULTI_H */
