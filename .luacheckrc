-- luacheck config: Lua 5.1-5.4 plus LuaJIT, busted in specs, ngx in the fake server
std = "max"
max_line_length = 130
-- hooks (handlers, data_shape) share one signature; not every hook reads every argument
unused_args = false
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/fake_spec/*.lua"] = { std = "+busted", max_line_length = 170 }
files["spec/core/support/*.lua"] = { globals = { "ngx" } }
files["spec/ngx/*.lua"] = { globals = { "ngx" } }
-- the Lua layer uses ngx only when it runs inside nginx
files["lua/**/*.lua"] = { read_globals = { "ngx" } }
-- the fake server runs inside nginx (its handlers set ngx.status, ngx.header...)
files["lua/mautic/fake/**/*.lua"] = { globals = { "ngx" }, max_line_length = 170 }
files["examples/nginx/*.lua"] = { globals = { "ngx" } }
exclude_files = { "lua/mautic/fake/data/*.lua" }
files["examples/haproxy/*.lua"] = { read_globals = { "core" } }
files["spec/haproxy/*.lua"] = { read_globals = { "core" } }
