-- conf: max_message_size = 100K
-- A secure message over max_message_size is refused for good with
-- 552 5.3.4 (at a body chunk or at end of message) and nothing is
-- stored.  A plain message of the same size passes at end of headers
-- (its size is the MTA's business).
dofile(LIB)

local function message(subject, body)
	return {
		from = "alice@example.com",
		rcpts = { "bob@partner.test" },
		headers = {
			{ "From", "Alice <alice@example.com>" },
			{ "To", "bob@partner.test" },
			{ "Subject", subject },
			{ "Date", "Fri, 7 Mar 2025 08:00:00 +0100" },
			{ "Message-ID", "<oversize@example.com>" },
		},
		body = body,
	}
end

T.run("t-oversize", function()
	local conn = T.start()
	local big = string.rep(string.rep("x", 78) .. "\r\n", 2500) -- 200 KB

	local r = T.transaction(conn, message("[secure] too big", big))
	T.check(r.stage == "body" or r.stage == "eom",
	    "stopped at %s with %s, expected a rejection at body or end " ..
	    "of message", r.stage, T.rname(r.final))
	T.expect(r.stage, r.final, SMFIR_REPLYCODE)
	local text = T.replycode(r.mark)
	T.check(text and text:match("^552 5%.3%.4 "),
	    "reply %q, expected 552 5.3.4 ...", tostring(text))
	T.check(not T.replbody(r.mark), "a rejected message was rewritten")
	print("oversize answered at " .. r.stage .. ": " .. text)
	T.check_stored_none()
	T.reset(conn)

	r = T.transaction(conn, message("too big but not secure", big))
	T.expect_stage(r, "eoh", SMFIR_ACCEPT)
	T.reset(conn)

	-- just under the limit still works
	local fits = string.rep(string.rep("y", 78) .. "\r\n", 1000) -- 80 KB
	local m = message("[secure] fits", fits)
	r = T.transaction(conn, m)
	T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)
	T.check_notification(conn, r, m.headers, { "yyyyyyyyyyyyyyyy" })
	T.check(#T.stored() == 1, "the message under the limit was not stored")
	mt.disconnect(conn)
end)
