-- Mail to noreply_address (default noreply_action = reject) is refused at
-- RCPT with 550 5.7.1 and a text that sends people to the portal; other
-- recipients of the same message are not affected.
dofile(LIB)

local function reply_to_notification(rcpts)
	return {
		from = "bob@partner.test",
		rcpts = rcpts,
		headers = {
			{ "From", "Bob <bob@partner.test>" },
			{ "To", NOREPLY },
			{ "Subject", "Re: Quarterly figures" },
			{ "Message-ID", "<reply1@partner.test>" },
		},
		body = "Thanks, see my comments.\r\n",
	}
end

T.run("t-noreply-reject", function()
	local conn = T.start()

	local r = T.transaction(conn, reply_to_notification({ NOREPLY }))
	T.expect_stage(r, "rcpt", SMFIR_REPLYCODE)
	local text = T.replycode(r.mark)
	T.check(text and text:match("^550 5%.7%.1 ") and text:match("portal"),
	    "reply %q, expected 550 5.7.1 naming the portal", tostring(text))
	print("noreply refused: " .. text)
	T.reset(conn)

	-- any case, in brackets or not: the same address
	r = T.transaction(conn, reply_to_notification({
	    NOREPLY:upper() }))
	T.expect_stage(r, "rcpt", SMFIR_REPLYCODE)
	T.reset(conn)

	-- a first recipient is accepted, then noreply alone is refused
	r = T.transaction(conn, reply_to_notification({ "carol@example.com",
	    NOREPLY }))
	T.expect("first recipient", r.rcpt[1], SMFIR_CONTINUE)
	T.expect_stage(r, "rcpt", SMFIR_REPLYCODE)
	T.reset(conn)

	-- an address that merely contains it is someone else
	r = T.transaction(conn, reply_to_notification({ "x" .. NOREPLY }))
	T.expect_stage(r, "eoh", SMFIR_ACCEPT)
	T.check_stored_none()
	mt.disconnect(conn)
end)
