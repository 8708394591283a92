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
      sources = { "src/buffer.c", "src/core.c", "src/crypto.c", "src/encoding.c", "src/files.c", "src/listener.c",
                  "src/multi.c", "src/reqcheck.c", "src/result.c", "src/session.c", "src/xfer.c" },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "curl", "crypto" },
      incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
    },
    ["mautic"] = "lua/mautic/init.lua",
    ["mautic.api"] = "lua/mautic/api/init.lua",
    ["mautic.api._util"] = "lua/mautic/api/_util.lua",
    ["mautic.api.assets"] = "lua/mautic/api/assets.lua",
    ["mautic.api.campaign_events"] = "lua/mautic/api/campaign_events.lua",
    ["mautic.api.campaigns"] = "lua/mautic/api/campaigns.lua",
    ["mautic.api.categories"] = "lua/mautic/api/categories.lua",
    ["mautic.api.companies"] = "lua/mautic/api/companies.lua",
    ["mautic.api.company_fields"] = "lua/mautic/api/company_fields.lua",
    ["mautic.api.contact_fields"] = "lua/mautic/api/contact_fields.lua",
    ["mautic.api.contacts"] = "lua/mautic/api/contacts.lua",
    ["mautic.api.data"] = "lua/mautic/api/data.lua",
    ["mautic.api.devices"] = "lua/mautic/api/devices.lua",
    ["mautic.api.dynamic_contents"] = "lua/mautic/api/dynamic_contents.lua",
    ["mautic.api.emails"] = "lua/mautic/api/emails.lua",
    ["mautic.api.files"] = "lua/mautic/api/files.lua",
    ["mautic.api.focus"] = "lua/mautic/api/focus.lua",
    ["mautic.api.forms"] = "lua/mautic/api/forms.lua",
    ["mautic.api.messages"] = "lua/mautic/api/messages.lua",
    ["mautic.api.notes"] = "lua/mautic/api/notes.lua",
    ["mautic.api.notifications"] = "lua/mautic/api/notifications.lua",
    ["mautic.api.oauth"] = "lua/mautic/api/oauth.lua",
    ["mautic.api.pages"] = "lua/mautic/api/pages.lua",
    ["mautic.api.point_groups"] = "lua/mautic/api/point_groups.lua",
    ["mautic.api.point_triggers"] = "lua/mautic/api/point_triggers.lua",
    ["mautic.api.points"] = "lua/mautic/api/points.lua",
    ["mautic.api.reports"] = "lua/mautic/api/reports.lua",
    ["mautic.api.roles"] = "lua/mautic/api/roles.lua",
    ["mautic.api.segments"] = "lua/mautic/api/segments.lua",
    ["mautic.api.smses"] = "lua/mautic/api/smses.lua",
    ["mautic.api.stages"] = "lua/mautic/api/stages.lua",
    ["mautic.api.stats"] = "lua/mautic/api/stats.lua",
    ["mautic.api.tags"] = "lua/mautic/api/tags.lua",
    ["mautic.api.themes"] = "lua/mautic/api/themes.lua",
    ["mautic.api.tracking"] = "lua/mautic/api/tracking.lua",
    ["mautic.api.tweets"] = "lua/mautic/api/tweets.lua",
    ["mautic.api.users"] = "lua/mautic/api/users.lua",
    ["mautic.api.webhooks"] = "lua/mautic/api/webhooks.lua",
    ["mautic.auth"] = "lua/mautic/auth/init.lua",
    ["mautic.auth.basic"] = "lua/mautic/auth/basic.lua",
    ["mautic.auth.oauth1"] = "lua/mautic/auth/oauth1.lua",
    ["mautic.auth.oauth2"] = "lua/mautic/auth/oauth2.lua",
    ["mautic.auth.store"] = "lua/mautic/auth/store.lua",
    ["mautic.batch"] = "lua/mautic/batch.lua",
    ["mautic.check"] = "lua/mautic/check.lua",
    ["mautic.compat"] = "lua/mautic/compat.lua",
    ["mautic.endpoint"] = "lua/mautic/endpoint.lua",
    ["mautic.entity"] = "lua/mautic/entity.lua",
    ["mautic.errors"] = "lua/mautic/errors.lua",
    ["mautic.http"] = "lua/mautic/http.lua",
    ["mautic.json"] = "lua/mautic/json.lua",
    ["mautic.loop"] = "lua/mautic/loop.lua",
    ["mautic.list"] = "lua/mautic/list.lua",
    ["mautic.outcome"] = "lua/mautic/outcome.lua",
    ["mautic.parallel"] = "lua/mautic/parallel.lua",
    ["mautic.query"] = "lua/mautic/query.lua",
    ["mautic.random"] = "lua/mautic/random.lua",
    ["mautic.redact"] = "lua/mautic/redact.lua",
    ["mautic.transport.curl"] = "lua/mautic/transport/curl.lua",
    ["mautic.transport.ngx"] = "lua/mautic/transport/ngx.lua",
    ["mautic.webhook"] = "lua/mautic/webhook.lua",
    ["mautic.where"] = "lua/mautic/where.lua",
  },
}
