-- Loaded into the HAProxy of spec/host_contract_spec.lua: runs the host
-- contract from a service and answers its results as JSON.
local contract = dofile(os.getenv("SPEC_ROOT") .. "/spec/support/host_contract.lua")

core.register_service("host_contract", "http", function(applet)
  local body = require("mautic.json").encode(contract.run{ url = os.getenv("MAUTIC_FAKE_URL"),
                                                           auth = "Basic " .. os.getenv("SPEC_AUTH") })
  applet:set_status(200)
  applet:add_header("content-type", "application/json")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end)
