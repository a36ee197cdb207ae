-- conf: store_map_size = 1M
-- The store cannot take the message (a 2 MiB body in a 1 MiB LMDB map):
-- the milter must answer a temporary failure (4xx) so that the MTA keeps
-- the message and retries; nothing is stored, and the next message that
-- fits is stored normally.
dofile(LIB)

local function message(subject, body)
	return {
		from = "alice@example.com",
		rcpts = { "bob@partner.test" },
		headers = {
			{ "From", "Alice <alice@example.com>" },
			{ "To", "bob@partner.test" },
			{ "Subject", subject },
			{ "Date", "Thu, 6 Mar 2025 08:00:00 +0100" },
			{ "Message-ID", "<big." .. #body .. "@example.com>" },
		},
		body = body,
	}
end

T.run("t-store-fail", function()
	local conn = T.start()
	-- 2 MiB of lines that do not compress away
	local lines = {}
	local seed = 12345
	for i = 1, 2 * 1024 * 1024 // 64 do
		local t = {}
		for j = 1, 31 do
			seed = (seed * 1103515245 + 12345) % 2147483648
			t[j] = string.format("%02x", seed >> 16 & 255)
		end
		lines[i] = table.concat(t) .. "\r\n"
	end
	local big = table.concat(lines)

	local r = T.transaction(conn, message("[secure] big report", big))
	T.check(r.stage == "body" or r.stage == "eom",
	    "stopped at %s with %s, expected a failure at body or end of " ..
	    "message", r.stage, T.rname(r.final))
	local text = T.replycode(r.mark)
	if r.final == SMFIR_REPLYCODE then
		T.check(text and text:match("^4%d%d "),
		    "%s reply %q is not a temporary failure (4xx)", r.stage,
		    tostring(text))
	else
		T.expect(r.stage, r.final, SMFIR_TEMPFAIL, SMFIR_REPLYCODE)
	end
	T.check(not T.replbody(r.mark), "a failed message was rewritten")
	print("store failure answered at " .. r.stage .. ": " ..
	    (text or T.rname(r.final)))
	T.check_stored_none()
	T.reset(conn)

	-- the milter and the store are still usable
	local small = message("[secure] small report", "Small report.\r\n")
	r = T.transaction(conn, small)
	T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)
	local _, id = T.check_notification(conn, r, small.headers,
	    { "Small report." })
	T.check_stored_one(id, "alice@example.com", { "bob@partner.test" })
	mt.disconnect(conn)
end)
