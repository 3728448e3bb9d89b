-- POST /token with the session cookie in $COOKIE: the refresh path.
wrk.method = "POST"
wrk.headers["Cookie"] = os.getenv("COOKIE")
