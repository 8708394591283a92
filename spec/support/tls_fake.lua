--- A fake Mautic of its own over TLS (mautic.fake with tls = true), for the
-- specs of TLS verification and of connection reuse: a self-signed
-- certificate for 127.0.0.1, a session cache (so a resumed TLS session
-- shows in the log), stopped at teardown and by itself when this process
-- is gone. Its admin calls go over connections of their own, so they
-- neither take nor leave a connection or TLS session the clients under
-- test could see.
--
--   local srv = require("support.tls_fake").start()
--   srv.url, srv.ca_file          -- "https://127.0.0.1:PORT", the certificate to trust
--   srv.reset()  srv.log()
--   srv.requests(pattern)         -- the logged requests whose path matches
--   srv.stop()
local mfake = require "mautic.fake"

local _M = {}

function _M.start()
  local server = assert(mfake.start{ tls = true })
  assert(server.ca_file, "the fake did not say where its certificate is")
  local srv = { url = server.url, ca_file = server.ca_file, server = server }

  function srv.reset() return server:reset() end
  function srv.log() return server:log() end

  function srv.requests(pattern)
    local out = {}
    for _, e in ipairs(server:log()) do
      if e.path:match(pattern) then out[#out + 1] = e end
    end
    return out
  end

  function srv.stop() server:stop() end
  return srv
end

return _M
