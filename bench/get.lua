-- wrk: a GET from an allowed origin (bench/run).
wrk.method = "GET"
wrk.headers["Origin"] = "https://app.example.com"
