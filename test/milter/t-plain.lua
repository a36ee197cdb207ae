-- An internal sender without any secure marker: accepted at end of
-- headers, so the MTA never streams the body; nothing stored.
dofile(LIB)

local function plain(subject, extra)
	local h = {
		{ "From", "Alice <alice@example.com>" },
		{ "To", "bob@partner.test" },
		{ "Subject", subject },
		{ "Date", "Mon, 3 Mar 2025 10:00:00 +0100" },
		{ "Message-ID", "<plain." .. os.time() .. "@example.com>" },
	}
	for _, x in ipairs(extra or {}) do
		h[#h + 1] = x
	end
	return {
		from = "alice@example.com",
		rcpts = { "bob@partner.test" },
		headers = h,
		body = "Lunch at noon?\r\n",
	}
end

T.run("t-plain", function()
	local conn = T.start()
	local cases = {
		plain("Lunch tomorrow"),
		plain("Is the VPN secure?"),
		plain("secure encrypt (no brackets)"),
		plain("Minutes", { { "Sensitivity", "Personal" } }),
		plain("Minutes", { { "X-Sealpost-Secure", "no" } }),
	}
	for i, m in ipairs(cases) do
		local r = T.transaction(conn, m)
		local ok, err = pcall(T.expect_stage, r, "eoh", SMFIR_ACCEPT)
		T.check(ok, "case %d (Subject %q): %s", i, m.headers[3][2],
		    tostring(err))
		T.reset(conn)
	end
	T.check_stored_none()
	mt.disconnect(conn)
end)
