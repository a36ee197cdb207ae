-- A sender outside internal_domains, not authenticated: accepted at MAIL
-- FROM (the MTA stops calling the milter for this message), even with a
-- secure tag, and nothing is stored.
dofile(LIB)

T.run("t-external", function()
	local conn = T.start()
	local senders = { "bob@partner.test", "eve@example.com.evil.test",
	    "mallory@sub.example.net" }
	for _, from in ipairs(senders) do
		local r = T.transaction(conn, {
			from = from,
			rcpts = { "alice@example.com" },
			headers = {
				{ "From", "<" .. from .. ">" },
				{ "To", "alice@example.com" },
				{ "Subject", "[secure] from outside" },
			},
			body = "Hello from outside.\r\n",
		})
		T.expect_stage(r, "mail", SMFIR_ACCEPT)
		T.reset(conn)
	end
	T.check_stored_none()
	mt.disconnect(conn)
end)
