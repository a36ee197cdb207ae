-- Option negotiation: the milter skips the steps it does not need and
-- asks for no per-header replies, and requests the actions it uses.
dofile(LIB)

T.run("t-negotiate", function()
	local conn = T.start()
	local want = {
		{ "SMFIP_NOCONNECT", true }, { "SMFIP_NOHELO", true },
		{ "SMFIP_NODATA", true }, { "SMFIP_NOUNKNOWN", true },
		{ "SMFIP_NR_HDR", true }, { "SMFIP_HDR_LEADSPC", true },
		-- MAIL FROM is never refused: no round trip for it
		{ "SMFIP_NR_MAIL", true },
		-- steps it needs: sender, recipients, headers, body
		{ "SMFIP_NOMAIL", false }, { "SMFIP_NORCPT", false },
		{ "SMFIP_NOHDRS", false }, { "SMFIP_NOEOH", false },
		{ "SMFIP_NOBODY", false },
	}
	for _, w in ipairs(want) do
		local bit = _G[w[1]]
		T.check(bit ~= nil, "miltertest does not know %s", w[1])
		local got = mt.test_option(conn, bit)
		T.check(got == w[2], "%s is %s, expected %s", w[1],
		    tostring(got), tostring(w[2]))
	end
	for _, a in ipairs({ "SMFIF_ADDHDRS", "SMFIF_CHGHDRS",
	    "SMFIF_CHGBODY", "SMFIF_DELRCPT" }) do
		T.check(mt.test_action(conn, _G[a]),
		    "milter did not request %s", a)
	end
	-- the steps it skipped are refused by miltertest, as by an MTA
	T.check(mt.test_option(conn, SMFIP_NOCONNECT) and
	    not pcall(mt.conninfo, conn, "localhost", "127.0.0.1"),
	    "mt.conninfo should be refused after SMFIP_NOCONNECT")
	mt.disconnect(conn)
end)
