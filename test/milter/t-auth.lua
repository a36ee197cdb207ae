-- An authenticated session ({auth_authen} at MAIL) from an address
-- outside internal_domains is treated like an internal sender.
dofile(LIB)

local SECRET = "AUTH-SECRET-7731"

local headers = {
	{ "From", "Bob <bob@partner.test>" },
	{ "To", "alice@example.com" },
	{ "Subject", "Contract [SECURE] draft" },
	{ "Date", "Tue, 4 Mar 2025 09:30:00 +0000" },
	{ "Message-ID", "<auth.1@partner.test>" },
}

T.run("t-auth", function()
	local conn = T.start()
	local r = T.transaction(conn, {
		from = "bob@partner.test",
		macros = { "{auth_authen}", "bob", "{auth_type}", "PLAIN",
		    "i", "4XyAuth" },
		rcpts = { "alice@example.com" },
		headers = headers,
		body = "Draft attached: " .. SECRET .. "\r\n",
	})
	T.expect("MAIL FROM (authenticated)", r.mail, SMFIR_CONTINUE)
	T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)
	local h, id = T.check_notification(conn, r, headers, { SECRET })
	local subj = T.hvalues(h, "Subject")
	T.check(#subj == 1 and subj[1] == "Contract draft",
	    "Subject should be \"Contract draft\":\n%s", T.dump_headers(h))
	T.check_stored_one(id, "bob@partner.test", { "alice@example.com" })
	mt.disconnect(conn)

	-- the same sender in a session without authentication is passed
	-- at the end of headers
	conn = T.connect()
	r = T.transaction(conn, {
		from = "bob@partner.test",
		macros = { "i", "4XyNoAuth" },
		rcpts = { "alice@example.com" },
		headers = headers,
		body = "Draft attached: " .. SECRET .. "\r\n",
	})
	T.expect_stage(r, "eoh", SMFIR_ACCEPT)
	T.check(#T.stored() == 1, "the unauthenticated message was stored")
	mt.disconnect(conn)
end)
