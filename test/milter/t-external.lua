-- A sender outside internal_domains, not authenticated: accepted at the
-- end of headers (the MTA never streams the body), even with a secure
-- tag, and nothing is stored.  It is followed that far only because its
-- recipients might include noreply_address.
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
		T.expect_stage(r, "eoh", SMFIR_ACCEPT)
		T.reset(conn)
	end
	T.check_stored_none()
	mt.disconnect(conn)
end)
