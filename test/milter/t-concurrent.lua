-- Two SMTP sessions at once, their steps interleaved: each message keeps
-- its own sender, recipients, headers and body (libmilter runs one
-- thread per connection).
dofile(LIB)

local function step(what, ret, conn, ...)
	T.call(what, ret)
	T.expect(what, mt.getreply(conn), ...)
end

T.run("t-concurrent", function()
	local a = T.start()
	local b = T.connect()
	local nr_hdr = mt.test_option(a, SMFIP_NR_HDR)
	local ha = {
		{ "From", "alice@example.com" }, { "To", "x@partner.test" },
		{ "Subject", "[secure] from A" },
	}
	local hb = {
		{ "From", "bob@example.org" }, { "To", "y@partner.test" },
		{ "Subject", "[encrypt] from B" },
	}
	local mark = T.mark()
	step("A MAIL", mt.mailfrom(a, "<alice@example.com>"), a,
	    SMFIR_CONTINUE)
	step("B MAIL", mt.mailfrom(b, "<bob@example.org>"), b, SMFIR_CONTINUE)
	step("B RCPT", mt.rcptto(b, "<y@partner.test>"), b, SMFIR_CONTINUE)
	step("A RCPT", mt.rcptto(a, "<x@partner.test>"), a, SMFIR_CONTINUE)
	step("A RCPT", mt.rcptto(a, "<x2@partner.test>"), a, SMFIR_CONTINUE)
	for i = 1, 3 do
		T.call("header", mt.header(a, ha[i][1], ha[i][2]))
		T.call("header", mt.header(b, hb[i][1], hb[i][2]))
		if not nr_hdr then
			T.expect("A header", mt.getreply(a), SMFIR_CONTINUE)
			T.expect("B header", mt.getreply(b), SMFIR_CONTINUE)
		end
	end
	step("B EOH", mt.eoh(b), b, SMFIR_CONTINUE)
	step("A EOH", mt.eoh(a), a, SMFIR_CONTINUE)
	step("A body", mt.bodystring(a, "Body A: SECRET-A\r\n"), a,
	    SMFIR_CONTINUE)
	step("B body", mt.bodystring(b, "Body B: SECRET-B\r\n"), b,
	    SMFIR_CONTINUE)
	T.call("eom", mt.eom(b))
	T.expect("B EOM", mt.getreply(b), SMFIR_CONTINUE, SMFIR_ACCEPT)
	T.check(mt.eom_check(b, MT_BODYCHANGE), "B: body not replaced")
	T.call("eom", mt.eom(a))
	T.expect("A EOM", mt.getreply(a), SMFIR_CONTINUE, SMFIR_ACCEPT)
	T.check(mt.eom_check(a, MT_BODYCHANGE), "A: body not replaced")

	-- both notifications are in the capture, B's first: split them by
	-- their (distinct) links and check each message's body
	local body = T.replbody(mark)
	local ids = {}
	for id in body:gsub("=\r?\n", ""):gmatch("/m/([%w_%-]+)") do
		if ids[#ids] ~= id then
			ids[#ids + 1] = id
		end
	end
	T.check(not body:find("SECRET-A", 1, true) and
	    not body:find("SECRET-B", 1, true),
	    "a notification contains an original body")

	local list = T.stored()
	T.check(#list == 2, "%d messages stored, expected 2", #list)
	local by = {}
	for _, m in ipairs(list) do
		by[T.addr(m.sender)] = m
	end
	local ma, mb = by["alice@example.com"], by["bob@example.org"]
	T.check(ma and mb, "stored senders are not alice and bob")
	T.check(#ma.recipients == 2 and #mb.recipients == 1 and
	    T.addr(mb.recipients[1]) == "y@partner.test",
	    "recipients mixed up: A %s, B %s", table.concat(ma.recipients,
	    ","), table.concat(mb.recipients, ","))
	T.check(ma.id ~= mb.id, "both messages have id %s", ma.id)
	local seen = {}
	for _, id in ipairs(ids) do
		seen[id] = true
	end
	T.check(seen[ma.id] and seen[mb.id], "links %s do not name the " ..
	    "stored ids %s and %s", table.concat(ids, ","), ma.id, mb.id)
	mt.disconnect(a)
	mt.disconnect(b)
end)
