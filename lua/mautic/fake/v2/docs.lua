-- The documentation side of /api/v2: the JSON-LD entrypoint (the 33
-- collections), the JSON-LD contexts, the OpenAPI and Hydra documents and the
-- HTML page. Real 7.0 serves a 713797-byte OpenAPI document; the fake's is
-- built from its resource table (the same 66 paths and operations, no schemas).
local json = require "mautic.fake.json"
local util = require "mautic.fake.util"
local resources = require "mautic.fake.v2.resources"

local O, A = json.O, json.A

local _M = {}

function _M.entrypoint()
  local o = O{ "@context", "/api/v2/contexts/Entrypoint", "@id", "/api/v2", "@type", "Entrypoint" }
  for _, r in ipairs(resources.order) do o[r.key] = "/api/v2/" .. r.name end
  return o
end

local function operations(r, item)
  local ops = json.obj()
  local id = r.name .. (item and "_item" or "_collection")
  ops.get = O{ "operationId", "api_" .. id .. "_get", "tags", A{ r.type } }
  if not r.get_only then
    if item then
      for _, m in ipairs({ "put", "patch", "delete" }) do
        ops[m] = O{ "operationId", "api_" .. r.name .. "_id_" .. m, "tags", A{ r.type } }
      end
    else
      ops.post = O{ "operationId", "api_" .. r.name .. "_post", "tags", A{ r.type } }
    end
  end
  return ops
end

function _M.openapi()
  local paths = json.obj()
  for _, r in ipairs(resources.order) do
    paths["/api/v2/" .. r.name] = operations(r, false)
    paths["/api/v2/" .. r.name .. "/{id}"] = operations(r, true)
  end
  return O{ "openapi", "3.1.0", "info", O{ "title", "Mautic API", "version", "2" },
            "servers", A{ O{ "url", "/", "description", "" } }, "paths", paths, "security", A{} }
end

function _M.hydra()
  local classes = A{}
  for _, r in ipairs(resources.order) do
    classes[#classes + 1] = O{ "@id", "#" .. r.type, "@type", "hydra:Class", "hydra:title", r.type }
  end
  return O{ "@context", O{ "@vocab", util.base_url() .. "/api/v2/docs.jsonld#",
                           "hydra", "http://www.w3.org/ns/hydra/core#" },
            "@id", "/api/v2/docs.jsonld", "@type", "hydra:ApiDocumentation", "hydra:title", "Mautic API",
            "hydra:entrypoint", "/api/v2", "hydra:supportedClass", classes }
end

-- /api/v2/contexts/<Type> -> the JSON-LD context, or nil
function _M.context(type_name)
  if type_name == "Entrypoint" then
    local c = O{ "@vocab", util.base_url() .. "/api/v2/docs.jsonld#", "hydra", "http://www.w3.org/ns/hydra/core#" }
    for _, r in ipairs(resources.order) do c[r.key] = O{ "@id", "Entrypoint/" .. r.key, "@type", "@id" } end
    return O{ "@context", c }
  end
  for _, r in ipairs(resources.order) do
    if r.type == type_name then
      local c = O{ "@vocab", util.base_url() .. "/api/v2/docs.jsonld#", "hydra", "http://www.w3.org/ns/hydra/core#" }
      -- the recorded terms when there are some (every serializer property), else the read schema's
      local terms = resources.contexts[r.type]
      if not terms then
        terms = {}
        for _, p in ipairs(r.read) do
          if p ~= "id" then terms[#terms + 1] = { p, r.kinds[p] ~= nil } end
        end
      end
      for _, t in ipairs(terms) do
        local ref = r.type .. "/" .. t[1]
        c[t[1]] = t[2] and O{ "@id", ref, "@type", "@id" } or ref
      end
      return O{ "@context", c }
    end
  end
end

function _M.html()
  return "<!DOCTYPE html>\n<html>\n<head><meta charset=\"UTF-8\"><title>Mautic API</title></head>\n" ..
    "<body><div id=\"swagger-ui\" class=\"api-platform\"></div></body>\n</html>\n"
end

return _M
