-- wrk script for tests/soak.bats: mixed CORS traffic against PREFIX (a
-- location of nginx): in every 10 requests one GET, one POST and eight
-- preflights.  Every answer must be 204 (preflight) or 200, with the
-- origin allowed; any other counts as bad.
local prefix = os.getenv("PREFIX") or "/s"
local origin = "https://app.example.com"
local body = string.rep("x", 1024)
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	sent, answers, bad, statuses = 0, 0, 0, ""
end

function request()
	sent = sent + 1
	local k = sent % 10
	local path = prefix .. "/hello.cgi"
	if k == 8 then
		return wrk.format("GET", path, { Origin = origin })
	elseif k == 9 then
		return wrk.format("POST", path, { Origin = origin,
			["Content-Type"] = "text/plain" }, body)
	end
	return wrk.format("OPTIONS", path, { Origin = origin,
		["Access-Control-Request-Method"] = "PUT",
		["Access-Control-Request-Headers"] = "content-type, x-token" })
end

function response(status, headers, body)
	answers = answers + 1
	local acao = headers["Access-Control-Allow-Origin"]
	if (status ~= 200 and status ~= 204) or acao ~= origin then
		bad = bad + 1
		if #statuses < 200 then statuses = statuses .. " " .. status end
	end
end

function done(summary, latency, requests)
	local answers, bad, statuses = 0, 0, ""
	for _, t in ipairs(threads) do
		answers = answers + t:get("answers")
		bad = bad + t:get("bad")
		statuses = statuses .. t:get("statuses")
	end
	local e = summary.errors
	io.write(string.format("mixed: answers=%d bad=%d errors=%d%s\n", answers, bad,
		e.connect + e.read + e.write + e.status + e.timeout,
		statuses ~= "" and (" statuses:" .. statuses) or ""))
end
