-- Subject tags: any of secure_subject_tags (default [secure], [encrypt]),
-- any case, anywhere in the Subject, also inside an RFC 2047 encoded
-- word; the notification's Subject has the tag removed.
dofile(LIB)

-- Decode RFC 2047 encoded words (enough for these checks).
local function decode2047(s)
	s = s:gsub("(%?=)%s+(=%?)", "%1%2")
	return (s:gsub("=%?[^?]+%?([bBqQ])%?([^?]*)%?=", function(enc, text)
		if enc:lower() == "b" then
			return T.base64_decode(text)
		end
		return (T.qp_decode(text:gsub("_", " ")))
	end))
end

local cases = {
	{ "[encrypt] Payroll", "Payroll" },
	{ "Re: [SECURE] Payroll", "Re: Payroll" },
	{ "Payroll for March [Secure]", "Payroll for March" },
	{ "[secure][encrypt] Both tags", "Both tags" },
	{ "=?UTF-8?Q?=5Bsecure=5D_R=C3=A9sum=C3=A9?=", "Résumé" },
	{ "=?utf-8?B?W2VuY3J5cHRdIETDqWrDoCB2dQ==?=", "Déjà vu" },
}

T.run("t-subject-tags", function()
	local conn = T.start()
	for i, c in ipairs(cases) do
		local m = {
			from = "alice@example.org",
			rcpts = { "bob@partner.test" },
			headers = {
				{ "From", "alice@example.org" },
				{ "To", "bob@partner.test" },
				{ "Subject", c[1] },
				{ "Message-ID", "<tag." .. i .. "@example.org>" },
			},
			body = "Body " .. i .. " TAG-SECRET\r\n",
		}
		local r = T.transaction(conn, m)
		local ok, err = pcall(function()
			T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)
			local h = T.check_notification(conn, r, m.headers,
			    { "TAG-SECRET" })
			local subj = T.hvalues(h, "Subject")
			T.check(#subj == 1, "%d Subject fields", #subj)
			local got = decode2047(subj[1])
			T.check(got == c[2], "Subject %q (decoded %q), " ..
			    "expected %q", subj[1], got, c[2])
		end)
		T.check(ok, "Subject %q: %s", c[1], tostring(err))
		T.reset(conn)
	end
	T.check(#T.stored() == #cases, "%d messages stored, expected %d",
	    #T.stored(), #cases)
	mt.disconnect(conn)
end)
