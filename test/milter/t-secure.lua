-- The secure path: an internal sender tags the Subject with [secure].
-- The milter takes the body, stores the original, and turns what leaves
-- into a notification: tag removed from Subject, Reply-To the
-- noreply_address, every header but the kept ones removed, the body
-- replaced by multipart/alternative with the portal link and nothing of
-- the original.  Bcc recipients are stored too.
dofile(LIB)

local SECRET = "7F3A-SECRET-BODY-MARKER"
local ATTACH = "merger-plan-confidential.pdf"

local headers = {
	{ "Received", "from client.example.com (client.example.com " ..
	    "[192.0.2.10]) by mx.example.com with ESMTPSA id 4Xy; " ..
	    "Mon, 3 Mar 2025 10:00:01 +0100" },
	{ "From", "Alice Example <alice@example.com>" },
	{ "To", "Bob <bob@partner.test>" },
	{ "Cc", "carol@partner.test" },
	{ "Subject", "[secure] Quarterly figures" },
	{ "Date", "Mon, 3 Mar 2025 10:00:00 +0100" },
	{ "Message-ID", "<q1.figures@example.com>" },
	{ "In-Reply-To", "<q0.figures@partner.test>" },
	{ "References", "<q0.figures@partner.test>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "multipart/mixed; boundary=\"b1\"" },
	{ "X-Mailer", "Test Mailer 1.0" },
	{ "Thread-Topic", "Quarterly figures" },
	{ "X-MS-Has-Attach", "yes" },
}

local body = table.concat({
	"This is a multi-part message in MIME format.",
	"",
	"--b1",
	"Content-Type: text/plain; charset=utf-8",
	"",
	"The figures: " .. SECRET .. ".",
	"",
	"--b1",
	"Content-Type: application/pdf; name=\"" .. ATTACH .. "\"",
	"Content-Disposition: attachment; filename=\"" .. ATTACH .. "\"",
	"Content-Transfer-Encoding: base64",
	"",
	"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK",
	"--b1--",
	"",
}, "\r\n")

T.run("t-secure", function()
	local conn = T.start()
	local rcpts = { "bob@partner.test", "carol@partner.test",
	    "dave@partner.test" }	-- dave is a Bcc
	local r = T.transaction(conn, {
		from = "alice@example.com",
		rcpts = rcpts,
		headers = headers,
		body = body,
	})
	T.expect("MAIL FROM", r.mail, SMFIR_CONTINUE)
	T.expect_stage(r, "eom", SMFIR_CONTINUE, SMFIR_ACCEPT)

	-- miltertest's own view of the edits
	T.check(mt.eom_check(conn, MT_HDRCHANGE, "Subject"),
	    "Subject was not changed")
	T.check(mt.eom_check(conn, MT_HDRDELETE, "X-Mailer"),
	    "X-Mailer was not deleted")
	T.check(mt.eom_check(conn, MT_HDRDELETE, "Thread-Topic"),
	    "Thread-Topic was not deleted")

	local h, id = T.check_notification(conn, r, headers,
	    { SECRET, ATTACH, "JVBERi0xLjQK" })

	-- the resulting header block
	local subj = T.hvalues(h, "Subject")
	T.check(#subj == 1 and subj[1] == "Quarterly figures",
	    "Subject should be \"Quarterly figures\":\n%s", T.dump_headers(h))
	for _, x in ipairs(headers) do
		local n = x[1]:lower()
		if n == "received" or n == "from" or n == "to" or n == "cc" or
		    n == "date" or n == "message-id" or n == "in-reply-to" or
		    n == "references" then
			local v = T.hvalues(h, x[1])
			T.check(#v == 1 and v[1] == x[2],
			    "%s should be kept as it was:\n%s", x[1],
			    T.dump_headers(h))
		elseif n ~= "subject" and n ~= "mime-version" and
		    n ~= "content-type" then
			T.check(#T.hvalues(h, x[1]) == 0,
			    "%s should be removed:\n%s", x[1],
			    T.dump_headers(h))
		end
	end

	local m = T.check_stored_one(id, "alice@example.com", rcpts)
	-- the original as received: "Name: value" CRLF lines, CRLF, body
	local size = 2 + #body
	for _, x in ipairs(headers) do
		size = size + #x[1] + 2 + #x[2] + 2
	end
	T.check(tonumber(m.size) == size, "stored size %s, expected %d " ..
	    "(the original as received)", tostring(m.size), size)
	T.check(type(m.received) == "string" and type(m.expires) == "string"
	    and m.expires > m.received, "stored dates: received %s, " ..
	    "expires %s", tostring(m.received), tostring(m.expires))
	T.check(tonumber(m.attachments) == 1,
	    "stored attachments %s, expected 1", tostring(m.attachments))
	mt.disconnect(conn)
end)
