-- wrk script: PATCH /users/{id} with a small JSON body.
wrk.method = "PATCH"
wrk.body = '{"first_name": "Bench"}'
wrk.headers["Content-Type"] = "application/json"
