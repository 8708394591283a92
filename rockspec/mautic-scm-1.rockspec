package = "mautic"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-mautic/lua-mautic.git",
}
description = {
  summary = "Client for the Mautic marketing-automation REST API, with a C core",
  detailed = [[
    Every route of the Mautic REST API as a Lua function; Basic, OAuth2 and
    OAuth1a auth; structured errors, retries and rate-limit waits;
    pagination iterators, batch chunking and webhook signature checks.
    HTTP through libcurl, crypto through OpenSSL.
  ]],
  homepage = "https://github.com/lua-mautic/lua-mautic",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson >= 2.1",
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
  OPENSSL = { header = "openssl/hmac.h", library = "crypto" },
}
build = {
  type = "builtin",
  modules = {
    ["mautic.core"] = {
      sources = { "src/core.c", "src/crypto.c", "src/encoding.c", "src/files.c", "src/listener.c",
                   "src/multi.c", "src/request.c", "src/session.c" },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "curl", "crypto" },
      incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
    },
    ["mautic"] = "lua/mautic/init.lua",
    ["mautic.json"] = "lua/mautic/json.lua",
    ["mautic.query"] = "lua/mautic/query.lua",
    ["mautic.errors"] = "lua/mautic/errors.lua",
    ["mautic.redact"] = "lua/mautic/redact.lua",
    ["mautic.http"] = "lua/mautic/http.lua",
    ["mautic.list"] = "lua/mautic/list.lua",
    ["mautic.check"] = "lua/mautic/check.lua",
    ["mautic.entity"] = "lua/mautic/entity.lua",
    ["mautic.batch"] = "lua/mautic/batch.lua",
    ["mautic.endpoint"] = "lua/mautic/endpoint.lua",
    ["mautic.auth"] = "lua/mautic/auth/init.lua",
    ["mautic.auth.basic"] = "lua/mautic/auth/basic.lua",
    ["mautic.transport.curl"] = "lua/mautic/transport/curl.lua",
    ["mautic.api"] = "lua/mautic/api/init.lua",
    ["mautic.api.contacts"] = "lua/mautic/api/contacts.lua",
    ["mautic.api.segments"] = "lua/mautic/api/segments.lua",
  },
}
