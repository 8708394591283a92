--- A TLS server of the specs' own that asks for a client certificate: nginx
-- (support.nginx: a free port on 127.0.0.1, stopped by pid) with a CA made
-- for the run, a server certificate for 127.0.0.1 and localhost signed by
-- it, and client certificates signed by it. GET /whoami (any path) answers
-- what the server saw of the connection:
--   { connection = nginx's serial, resumed = "r" | ".", client = "SUCCESS" | "NONE" | "FAILED:...",
--     dn = the client certificate's subject }
--
--   local srv = require("support.tls_server").start()
--   srv.url, srv.ca_file                        -- "https://127.0.0.1:PORT", the CA to trust
--   srv.cert_file, srv.key_file                 -- a client certificate (CN=spec-client) and its key
--   srv.bundle_file                             -- the same certificate and key in one file
--   srv.encrypted_key_file                      -- its key, encrypted (password "secret")
--   srv.stop()
local nginx = require "support.nginx"
local sys = require "support.sys"

local _M = {}

local function run(cmd)
  local ok = os.execute(cmd .. " >/dev/null 2>&1")
  assert(ok == true or ok == 0, "failed: " .. cmd)
end

-- a CA, a server certificate and a client certificate in dir
local function make_certs(dir)
  local function signed(name, subject, ext)
    run(("openssl req -newkey rsa:2048 -nodes -subj '%s' -keyout %s/%s.key -out %s/%s.csr")
      :format(subject, dir, name, dir, name))
    sys.write_file(dir .. "/" .. name .. ".ext", ext)
    run(("openssl x509 -req -in %s/%s.csr -CA %s/ca.pem -CAkey %s/ca.key -CAcreateserial -days 2 "
         .. "-extfile %s/%s.ext -out %s/%s.pem"):format(dir, name, dir, dir, dir, name, dir, name))
  end
  run(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=lua-mautic spec CA' -keyout %s/ca.key -out %s/ca.pem")
    :format(dir, dir))
  signed("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
  signed("client", "/CN=spec-client", "extendedKeyUsage=clientAuth\n")
  run(("openssl pkey -in %s/client.key -aes256 -passout pass:secret -out %s/client-encrypted.key"):format(dir, dir))
  sys.write_file(dir .. "/client-bundle.pem", sys.read_file(dir .. "/client.pem") .. sys.read_file(dir .. "/client.key"))
end

-- what the server saw of the connection, in nginx variables
local WHOAMI = '{"connection":$connection,"resumed":"$ssl_session_reused",'
            .. '"client":"$ssl_client_verify","dn":"$ssl_client_s_dn"}'

function _M.start()
  local dir = sys.shell("mktemp -d /tmp/mautic-spec-tls.XXXXXX"):gsub("%s+$", "")
  assert(dir ~= "", "mktemp failed")
  make_certs(dir)
  local srv = nginx.start(([[
    ssl_certificate %s/server.pem;
    ssl_certificate_key %s/server.key;
    ssl_client_certificate %s/ca.pem;
    ssl_verify_client optional;
    ssl_session_cache shared:spec_tls:1m;
    location / {
      default_type application/json;
      return 200 '%s';
    }
]]):format(dir, dir, dir, WHOAMI), nil, { listen = "ssl" })
  local stop = srv.stop
  return {
    url = "https://127.0.0.1:" .. srv.port,
    ca_file = dir .. "/ca.pem",
    cert_file = dir .. "/client.pem",
    key_file = dir .. "/client.key",
    bundle_file = dir .. "/client-bundle.pem",
    encrypted_key_file = dir .. "/client-encrypted.key",
    error_log = srv.error_log,
    stop = function()
      stop()
      os.execute("rm -rf " .. dir)
    end,
  }
end

return _M
