/*
 * listener.c - a one-shot HTTP listener on 127.0.0.1, for the OAuth2
 * command-line flow: the browser is sent back to http://127.0.0.1:PORT/...
 * with ?code=...&state=..., and the script reads that request line.
 * Only the loopback address is ever bound.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mcore.h"

#define MC_LISTENER_MT "mautic.core.listener"

typedef struct mc_listener {
    int fd;                 /* -1 once closed */
} mc_listener;

static void listener_close(mc_listener *l)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

/* listen(port) -> listener | nil, err   (port 0: any free port) */
static int l_listen(lua_State *L)
{
    lua_Integer port = luaL_optinteger(L, 1, 0);
    mc_listener *l;
    struct sockaddr_in sa;
    int one = 1;

    luaL_argcheck(L, port >= 0 && port <= 65535, 1, "port out of range");
    l = (mc_listener *)lua_newuserdata(L, sizeof *l);
    l->fd = -1;
    luaL_setmetatable(L, MC_LISTENER_MT);
    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0)
        goto fail;
    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l->fd, 4) != 0)
        goto fail;
    return 1;
fail:
    {
        int err = errno;
        listener_close(l);
        lua_pushnil(L);
        lua_pushfstring(L, "cannot listen on 127.0.0.1:%d: %s", (int)port, strerror(err));
        return 2;
    }
}

static mc_listener *check_open(lua_State *L)
{
    mc_listener *l = (mc_listener *)luaL_checkudata(L, 1, MC_LISTENER_MT);
    if (l->fd < 0)
        luaL_error(L, "listener is closed");
    return l;
}

static int l_port(lua_State *L)
{
    mc_listener *l = check_open(L);
    struct sockaddr_in sa;
    socklen_t n = sizeof sa;
    if (getsockname(l->fd, (struct sockaddr *)&sa, &n) != 0)
        return luaL_error(L, "getsockname: %s", strerror(errno));
    lua_pushinteger(L, ntohs(sa.sin_port));
    return 1;
}

/*
 * accept(timeout_seconds, response_body) -> request target ("/cb?code=..")
 *                                         | nil, "timeout" | nil, err
 * Reads one request head, answers 200 with response_body, closes.
 */
static int l_accept(lua_State *L)
{
    mc_listener *l = check_open(L);
    lua_Number timeout = luaL_checknumber(L, 2);
    size_t blen;
    const char *body = luaL_optlstring(L, 3, "You may close this window.", &blen);
    char buf[8192], head[256];
    struct pollfd pfd;
    size_t got = 0;
    int c, r, hlen;
    char *sp1, *sp2;

    pfd.fd = l->fd;
    pfd.events = POLLIN;
    r = poll(&pfd, 1, timeout < 0 ? -1 : (int)(timeout * 1000));
    if (r == 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "timeout");
        return 2;
    }
    if (r < 0 || (c = accept(l->fd, NULL, NULL)) < 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    /* read until the end of the request head (or the buffer is full) */
    while (got < sizeof buf - 1) {
        ssize_t n;
        pfd.fd = c;
        if (poll(&pfd, 1, 5000) <= 0)
            break;
        n = recv(c, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            break;
    }
    buf[got] = '\0';
    hlen = snprintf(head, sizeof head,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Length: %lu\r\nConnection: close\r\n\r\n", (unsigned long)blen);
    if (hlen > 0 && send(c, head, (size_t)hlen, MSG_NOSIGNAL) >= 0)
        (void)send(c, body, blen, MSG_NOSIGNAL);
    close(c);
    /* "GET /target HTTP/1.1" */
    sp1 = strchr(buf, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2) {
        lua_pushnil(L);
        lua_pushliteral(L, "not an HTTP request");
        return 2;
    }
    lua_pushlstring(L, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    return 1;
}

static int l_close(lua_State *L)
{
    listener_close((mc_listener *)luaL_checkudata(L, 1, MC_LISTENER_MT));
    return 0;
}

static const luaL_Reg listener_methods[] = {
    {"port", l_port},
    {"accept", l_accept},
    {"close", l_close},
    {NULL, NULL}
};

void mc_listener_open(lua_State *L)
{
    mc_new_class(L, MC_LISTENER_MT, listener_methods, l_close, NULL);
    lua_pushcfunction(L, l_listen);
    lua_setfield(L, -2, "listen");
}
