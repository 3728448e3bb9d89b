-- POST /token with a JSON username and password: the password path.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"load","password":"correct horse battery"}'
