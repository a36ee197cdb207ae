-- conf: noreply_action = notify
-- With noreply_action = notify, mail to noreply_address is accepted,
-- dropped for that recipient, and answered once a day per sender with a
-- notice that follows RFC 3834: null envelope sender, Auto-Submitted:
-- auto-replied, In-Reply-To the original; never to the null sender, to
-- automatic mail or to mailing lists.
dofile(LIB)

local function notices()
	local list = {}
	local p = io.popen("ls " .. T.q(WORK .. "/sent"))
	for name in p:lines() do
		if name:match("^mail%.") then
			list[#list + 1] = name
		end
	end
	p:close()
	table.sort(list)
	return list
end

local function read(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("a")
	f:close()
	return s
end

local function reply(from, extra, rcpts)
	local headers = {
		{ "From", "<" .. from .. ">" },
		{ "To", NOREPLY },
		{ "Subject", "Re: Quarterly figures" },
		{ "Message-ID", "<reply-" .. #from .. "@partner.test>" },
	}
	for _, h in ipairs(extra or {}) do
		headers[#headers + 1] = h
	end
	return { from = from, rcpts = rcpts or { NOREPLY }, headers = headers,
	    body = "Thanks.\r\n" }
end

T.run("t-noreply-notify", function()
	local conn = T.start()

	-- noreply alone: accepted, discarded at end of headers, answered
	local r = T.transaction(conn, reply("bob@partner.test"))
	T.expect("RCPT noreply", r.rcpt[1], SMFIR_CONTINUE)
	T.expect_stage(r, "eoh", SMFIR_DISCARD)
	local n = notices()
	T.check(#n == 1, "%d notices sent, expected 1", #n)
	local mail = read(WORK .. "/sent/" .. n[1])
	local args = read(WORK .. "/sent/" .. n[1]:gsub("^mail", "args"))
	T.check(mail:match("\nTo: bob@partner%.test\n") or
	    mail:match("^To: bob@partner%.test\n"),
	    "notice not addressed to the sender:\n%s", mail)
	T.check(mail:match("Auto%-Submitted: auto%-replied"),
	    "notice lacks Auto-Submitted: auto-replied:\n%s", mail)
	T.check(mail:match("In%-Reply%-To: <reply%-16@partner%.test>"),
	    "notice lacks In-Reply-To:\n%s", mail)
	T.check(args:match("%-f <>"), "notice not sent with the null " ..
	    "envelope sender (-f <>): %s", args)
	T.check(mail:match("Reply"), "notice does not point to Reply:\n%s", mail)
	T.reset(conn)

	-- the same sender again the same day: dropped, no second notice
	r = T.transaction(conn, reply("bob@partner.test"))
	T.expect_stage(r, "eoh", SMFIR_DISCARD)
	T.check(#notices() == 1, "a second notice went to the same sender")
	T.reset(conn)

	-- never to the null sender, automatic mail or lists
	for _, c in ipairs({
		{ "", nil },
		{ "carol@partner.test", { { "Auto-Submitted", "auto-replied" } } },
		{ "dave@partner.test", { { "List-Id", "<team.partner.test>" } } },
		{ "erin@partner.test", { { "Precedence", "bulk" } } },
		{ "MAILER-DAEMON@partner.test", nil },
	}) do
		r = T.transaction(conn, reply(c[1], c[2]))
		T.expect_stage(r, "eoh", SMFIR_DISCARD)
		T.check(#notices() == 1, "a notice went to <%s>", c[1])
		T.reset(conn)
	end

	-- noreply among other recipients: only noreply leaves the envelope
	r = T.transaction(conn, reply("frank@partner.test", nil,
	    { "alice@example.com", NOREPLY }))
	T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)
	local dropped = {}
	for _, p in ipairs(T.packets(r.mark)) do
		if p.cmd == "-" then
			dropped[#dropped + 1] = T.addr(p.data:gsub("%z$", ""))
		end
	end
	T.check(#dropped == 1 and dropped[1] == NOREPLY:lower(),
	    "recipients removed: %s, expected only %s",
	    table.concat(dropped, ","), NOREPLY)
	T.check(not T.replbody(r.mark), "a plain message was rewritten")
	T.check(#notices() == 2, "frank got no notice")
	T.check_stored_none()
	mt.disconnect(conn)
end)
