-- POST /token with an identity provider's ID token in $ID_TOKEN: the token exchange path.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ID_TOKEN")
