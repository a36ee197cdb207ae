-- Secure without a Subject tag: the secure_header (X-Sealpost-Secure:
-- yes) or Outlook's Sensitivity: Company-Confidential.  The marker header
-- itself does not leave; the Subject stays as it was.
dofile(LIB)

local function message(n, marker)
	local h = {
		{ "From", "Alice <alice@example.com>" },
		{ "To", "bob@partner.test" },
		{ "Subject", "Board minutes " .. n },
		{ "Date", "Wed, 5 Mar 2025 11:00:00 +0100" },
		{ "Message-ID", "<hdr." .. n .. "@example.com>" },
		marker,
	}
	return {
		from = "alice@example.com",
		rcpts = { "bob@partner.test" },
		headers = h,
		body = "Minutes " .. n .. ": HDR-SECRET-" .. n .. "\r\n",
	}
end

T.run("t-secure-header", function()
	local conn = T.start()
	local cases = {
		{ "X-Sealpost-Secure", "yes" },
		{ "Sensitivity", "Company-Confidential" },
		{ "x-sealpost-secure", "YES" },
		{ "Sensitivity", "company-confidential" },
	}
	local ids = {}
	for i, marker in ipairs(cases) do
		local m = message(i, marker)
		local r = T.transaction(conn, m)
		local ok, err = pcall(function()
			T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)
			local h, id = T.check_notification(conn, r, m.headers,
			    { "HDR-SECRET-" .. i })
			local subj = T.hvalues(h, "Subject")
			T.check(#subj == 1 and subj[1] == "Board minutes " .. i,
			    "Subject should stay \"Board minutes %d\":\n%s",
			    i, T.dump_headers(h))
			T.check(#T.hvalues(h, marker[1]) == 0,
			    "%s should be removed:\n%s", marker[1],
			    T.dump_headers(h))
			ids[#ids + 1] = id
		end)
		T.check(ok, "case %d (%s: %s): %s", i, marker[1], marker[2],
		    tostring(err))
		T.reset(conn)
	end

	local list = T.stored()
	T.check(#list == #cases, "%d messages stored, expected %d", #list,
	    #cases)
	local have = {}
	for _, m in ipairs(list) do
		have[m.id] = true
	end
	for _, id in ipairs(ids) do
		T.check(have[id], "message %s (from a link) is not stored", id)
	end
	mt.disconnect(conn)
end)
