-- wrk script: PATCH /users/{id} with a small JSON body whose value alternates, so that every request changes the
-- user and writes its audit event.
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
    counter = counter + 1
    local body = counter % 2 == 0 and '{"first_name": "Bench"}' or '{"first_name": "Bench B"}'
    return wrk.format(nil, nil, nil, body)
end
