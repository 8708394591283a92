/*
 * files.c - files that hold secrets: write_file_atomic and lock_file.
 *
 * The OAuth2 file token store needs a file that is never seen half
 * written and never readable by others (temp file with the final mode from
 * the start, fsync, rename), and a lock so that two processes sharing it
 * do not both spend the same single-use refresh token.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcore.h"

#define MC_LOCK_MT "mautic.core.lock"

static int push_errno(lua_State *L, const char *what, const char *path, int err)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s: %s", what, path, strerror(err));
    return 2;
}

/*
 * write_file_atomic(path, data [, mode = 0600]) -> true | nil, err
 * The temp-name buffer is a userdata, so an error raised by Lua (memory)
 * cannot leak it; the descriptor is closed before anything can raise.
 */
static int l_write_file_atomic(lua_State *L)
{
    size_t plen, len, off = 0;
    const char *path = luaL_checklstring(L, 1, &plen);
    const char *data = luaL_checklstring(L, 2, &len);
    lua_Integer mode = luaL_optinteger(L, 3, 0600);
    char *tmp;
    int fd, err = 0;

    luaL_argcheck(L, plen > 0, 1, "empty path");
    luaL_argcheck(L, mode >= 0 && mode <= 07777, 3, "bad mode");
    tmp = (char *)lua_newuserdata(L, plen + sizeof(".tmp.XXXXXX"));
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));

    fd = mkstemp(tmp);                       /* created 0600 */
    if (fd < 0)
        return push_errno(L, "cannot create a temporary file beside", path, errno);
    if (fchmod(fd, (mode_t)mode) != 0)
        err = errno;
    while (!err && off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
        } else {
            off += (size_t)n;
        }
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        return push_errno(L, "cannot write", path, err);
    }
    lua_pushboolean(L, 1);
    return 1;
}

typedef struct mc_lock {
    int fd;                 /* -1 once released */
} mc_lock;

static void lock_release(mc_lock *lk)
{
    if (lk->fd >= 0) {
        close(lk->fd);      /* closing drops the fcntl lock */
        lk->fd = -1;
    }
}

/* lock_file(path) -> lock | nil, err   (blocks until the lock is ours) */
static int l_lock_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    mc_lock *lk = (mc_lock *)lua_newuserdata(L, sizeof *lk);
    struct flock fl;
    int r;

    lk->fd = -1;
    luaL_setmetatable(L, MC_LOCK_MT);       /* owner before the resource */
    lk->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lk->fd < 0)
        return push_errno(L, "cannot open", path, errno);
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    do {
        r = fcntl(lk->fd, F_SETLKW, &fl);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
        int err = errno;
        lock_release(lk);
        return push_errno(L, "cannot lock", path, err);
    }
    return 1;
}

static int l_lock_unlock(lua_State *L)
{
    lock_release((mc_lock *)luaL_checkudata(L, 1, MC_LOCK_MT));
    return 0;
}

static const luaL_Reg lock_methods[] = {
    {"unlock", l_lock_unlock},
    {NULL, NULL}
};

static const luaL_Reg files_funcs[] = {
    {"write_file_atomic", l_write_file_atomic},
    {"lock_file", l_lock_file},
    {NULL, NULL}
};

void mc_files_open(lua_State *L)
{
    mc_new_class(L, MC_LOCK_MT, lock_methods, l_lock_unlock, NULL);
    luaL_setfuncs(L, files_funcs, 0);
}
