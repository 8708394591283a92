/*
 * tcp.c - a minimal blocking TCP client with timeouts, for plain Lua, which
 * has no sockets of its own: the Redis token store and rate limit speak
 * RESP over it (lua/mautic/redis.lua). Inside nginx and HAProxy their own
 * cosockets are used instead, never this.
 *
 *   core.tcp_connect(host, port [, timeout]) -> conn | nil, message
 *   conn:send(data)               -> true | nil, message
 *   conn:receive("*l" | n)        -> string | nil, message ("closed", "timeout", ...)
 *   conn:settimeout(seconds)      0 or less: none
 *   conn:close()                  idempotent; also __gc and __close
 *
 * The names and answers follow cosockets (ngx.socket.tcp, core.tcp), so one
 * RESP client runs over all three. The socket and the read buffer belong to
 * the userdata from the moment they exist; getaddrinfo's list is freed
 * before anything that could raise.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mcore.h"

#define MC_TCP_MT "mautic.core.tcp"
#define MC_TCP_READ 16384

typedef struct mc_tcp {
    int fd;                 /* -1 once closed */
    double timeout;         /* seconds; <= 0: none */
    mc_buf in;              /* received, not yet returned: in.data[off..len) */
    size_t off;
} mc_tcp;

static void tcp_close(mc_tcp *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    mc_buf_free(&c->in);
    c->off = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* wait for events on fd until deadline (0: none); 1 ready, 0 timeout, -1 error */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        struct pollfd p;
        int ms = -1, n;
        if (deadline > 0) {
            double left = deadline - now_s();
            if (left <= 0)
                return 0;
            ms = (int)(left * 1000.0) + 1;
        }
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        n = poll(&p, 1, ms);
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static double deadline_of(const mc_tcp *c)
{
    return c->timeout > 0 ? now_s() + c->timeout : 0;
}

static int fail(lua_State *L, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
}

/* connect one address, non-blocking with a deadline; 0 ok, else an errno */
static int connect_one(int fd, const struct addrinfo *ai, double deadline)
{
    int err = 0;
    socklen_t n = sizeof err;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return errno;
    switch (wait_fd(fd, POLLOUT, deadline)) {
    case 0:
        return ETIMEDOUT;
    case -1:
        return errno;
    default:
        break;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) != 0)
        return errno;
    return err;
}

/* core.tcp_connect(host, port [, timeout]) -> conn | nil, message */
static int l_tcp_connect(lua_State *L)
{
    const char *host = luaL_checkstring(L, 1);
    lua_Integer port = luaL_checkinteger(L, 2);
    lua_Number timeout = luaL_optnumber(L, 3, 10);
    char service[16];
    struct addrinfo hints, *list = NULL, *ai;
    int gai, err = 0;
    double deadline;
    mc_tcp *c;

    luaL_argcheck(L, port > 0 && port <= 65535, 2, "port out of range");
    c = (mc_tcp *)lua_newuserdata(L, sizeof *c);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->timeout = timeout;
    luaL_setmetatable(L, MC_TCP_MT);

    snprintf(service, sizeof service, "%d", (int)port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    gai = getaddrinfo(host, service, &hints, &list);
    if (gai != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot resolve %s: %s", host, gai_strerror(gai));
        return 2;
    }
    deadline = timeout > 0 ? now_s() + timeout : 0;
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (c->fd < 0) {
            err = errno;
            continue;
        }
        err = connect_one(c->fd, ai, deadline);
        if (err == 0)
            break;
        close(c->fd);
        c->fd = -1;
    }
    freeaddrinfo(list);
    if (c->fd < 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot connect to %s:%d: %s", host, (int)port,
                        err == ETIMEDOUT ? "timeout" : err == ECONNREFUSED ? "connection refused" : strerror(err));
        return 2;
    }
    return 1;
}

static mc_tcp *check_tcp(lua_State *L)
{
    return (mc_tcp *)luaL_checkudata(L, 1, MC_TCP_MT);
}

static int l_send(lua_State *L)
{
    mc_tcp *c = check_tcp(L);
    size_t len, done = 0;
    const char *data = luaL_checklstring(L, 2, &len);
    double deadline = deadline_of(c);
    if (c->fd < 0)
        return fail(L, "closed");
    while (done < len) {
        ssize_t n = send(c->fd, data + done, len - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_fd(c->fd, POLLOUT, deadline);
            if (w == 0)
                return fail(L, "timeout");
            if (w < 0)
                return fail(L, strerror(errno));
            continue;
        }
        return fail(L, errno == EPIPE || errno == ECONNRESET ? "closed" : strerror(errno));
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* read more into the buffer; NULL on success, else the failure's message */
static const char *fill(mc_tcp *c, double deadline)
{
    char tmp[MC_TCP_READ];
    for (;;) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) {
            if (c->off > 0 && c->off == c->in.len)
                c->off = c->in.len = 0;
            if (mc_buf_add(&c->in, tmp, (size_t)n) != 0)
                return "out of memory";
            return NULL;
        }
        if (n == 0)
            return "closed";
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(c->fd, POLLIN, deadline);
            if (w == 0)
                return "timeout";
            if (w < 0)
                return strerror(errno);
            continue;
        }
        return errno == ECONNRESET ? "closed" : strerror(errno);
    }
}

static int l_receive(lua_State *L)
{
    mc_tcp *c = check_tcp(L);
    double deadline = deadline_of(c);
    if (c->fd < 0)
        return fail(L, "closed");
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer want = lua_tointeger(L, 2);
        luaL_argcheck(L, want >= 0, 2, "byte count must be >= 0");
        while (c->in.len - c->off < (size_t)want) {
            const char *why = fill(c, deadline);
            if (why != NULL)
                return fail(L, why);
        }
        lua_pushlstring(L, c->in.data + c->off, (size_t)want);
        c->off += (size_t)want;
        return 1;
    }
    luaL_argcheck(L, strcmp(luaL_optstring(L, 2, "*l"), "*l") == 0, 2, "\"*l\" or a byte count expected");
    for (;;) {
        char *start = c->in.data + c->off;
        char *nl = c->in.len > c->off ? memchr(start, '\n', c->in.len - c->off) : NULL;
        if (nl != NULL) {
            size_t n = (size_t)(nl - start);
            size_t line = n > 0 && start[n - 1] == '\r' ? n - 1 : n;
            lua_pushlstring(L, start, line);
            c->off += n + 1;
            return 1;
        }
        {
            const char *why = fill(c, deadline);
            if (why != NULL)
                return fail(L, why);
        }
    }
}

static int l_settimeout(lua_State *L)
{
    mc_tcp *c = check_tcp(L);
    c->timeout = luaL_checknumber(L, 2);
    return 0;
}

static int l_close(lua_State *L)
{
    tcp_close(check_tcp(L));
    return 0;
}

static int l_tostring(lua_State *L)
{
    mc_tcp *c = check_tcp(L);
    lua_pushfstring(L, "mautic.core.tcp (%s%p)", c->fd < 0 ? "closed, " : "", (void *)c);
    return 1;
}

static const luaL_Reg tcp_methods[] = {
    {"send", l_send},
    {"receive", l_receive},
    {"settimeout", l_settimeout},
    {"close", l_close},
    {NULL, NULL}
};

void mc_tcp_open(lua_State *L)
{
    mc_new_class(L, MC_TCP_MT, tcp_methods, l_close, l_tostring);
    lua_pushcfunction(L, l_tcp_connect);
    lua_setfield(L, -2, "tcp_connect");
}
