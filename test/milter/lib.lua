-- Helpers shared by the miltertest scripts t-*.lua; loaded with
-- dofile(LIB).  run-lua.sh defines these globals with miltertest -D:
--   MILTER, ADMIN   the sealpost-milter and sealpost-admin binaries
--   CONF            the generated sealpost.conf
--   SOCKET          where miltertest connects (mtproxy.pl, which relays
--                   to the milter and records what the milter sends)
--   CAPTURE         the file mtproxy.pl records into
--   WORK            the test's temporary directory
--   PORTAL_URL, NOREPLY, INTERNAL   effective config values

T = {}

local reply_names = {}
for _, n in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
    "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE", "SMFIR_SKIP" }) do
	if _G[n] ~= nil then
		reply_names[_G[n]] = n
	end
end

-- A milter reply code as a name, for messages.
function T.rname(r)
	if r == nil then
		return "nil"
	end
	if reply_names[r] then
		return reply_names[r]
	end
	if r == 0 then
		return "no reply"
	end
	return string.format("%q (%d)", string.char(math.floor(r)), r)
end

function T.fail(fmt, ...)
	error(string.format(fmt, ...), 0)
end

function T.check(cond, fmt, ...)
	if not cond then
		T.fail(fmt, ...)
	end
end

-- mt.* functions return nil on success or an error string.
function T.call(what, ret)
	if ret ~= nil then
		T.fail("mt.%s failed: %s", what, tostring(ret))
	end
end

-- got must be one of the wanted replies.
function T.expect(what, got, ...)
	local want = { ... }
	local names = {}
	for _, w in ipairs(want) do
		if got == w then
			return
		end
		names[#names + 1] = T.rname(w)
	end
	T.fail("%s: milter replied %s, expected %s", what, T.rname(got),
	    table.concat(names, " or "))
end

-- Run the test body; report PASS/FAIL with a traceback, and make
-- miltertest exit 1 on failure (after it has stopped the milter).
function T.run(name, fn)
	local ok, err = xpcall(fn, function(e)
		if type(e) ~= "string" then
			-- miltertest raises a non-string when a protocol
			-- step it runs implicitly (negotiation...) fails
			e = "a miltertest protocol step failed (" ..
			    tostring(e) .. "): did the milter start, or " ..
			    "did it close the connection? see its log"
		end
		return debug.traceback(tostring(e), 2)
	end)
	io.stdout:flush()
	if ok then
		print("PASS " .. name)
		return
	end
	print("FAIL " .. name .. ": " .. tostring(err))
	io.stdout:flush()
	error("test failed", 0)
end

-- Start the milter and open the first connection.
function T.start()
	mt.set_timeout(60)
	mt.startfilter(MILTER, "-f", "-c", CONF)
	return T.connect()
end

-- A new SMTP session: negotiate, and send connect/HELO only if the
-- milter did not negotiate them away (miltertest refuses them then).
function T.connect()
	local conn = mt.connect(SOCKET, 40, 0.25)
	T.check(conn ~= nil, "cannot connect to %s", SOCKET)
	if not mt.test_option(conn, SMFIP_NOCONNECT) then
		T.call("conninfo", mt.conninfo(conn, "client.example.net",
		    "192.0.2.10"))
		T.expect("connect", mt.getreply(conn), SMFIR_CONTINUE)
	end
	if not mt.test_option(conn, SMFIP_NOHELO) then
		T.call("helo", mt.helo(conn, "client.example.net"))
		T.expect("HELO", mt.getreply(conn), SMFIR_CONTINUE)
	end
	return conn
end

function T.leadspc(conn)
	return SMFIP_HDR_LEADSPC ~= nil and
	    mt.test_option(conn, SMFIP_HDR_LEADSPC)
end

-- Postfix ends every transaction with an abort (smtpd's mail_reset).
function T.reset(conn)
	T.call("abort", mt.abort(conn))
end

-- Body data in chunks as an MTA sends it, stopping at the first reply
-- other than continue.  Returns that reply (or continue).
function T.body(conn, data, chunk)
	chunk = chunk or 60000
	local noreply = SMFIP_NR_BODY ~= nil and
	    mt.test_option(conn, SMFIP_NR_BODY)
	local pos = 1
	repeat
		local piece = data:sub(pos, pos + chunk - 1)
		pos = pos + #piece
		T.call("bodystring", mt.bodystring(conn, piece))
		if not noreply then
			local r = mt.getreply(conn)
			if r ~= SMFIR_CONTINUE then
				return r
			end
		end
	until pos > #data
	return SMFIR_CONTINUE
end

-- One transaction, stopping where an MTA would.  m = { from=, macros=
-- {name, value, ...} (SMFIC_MAIL), rcpts={...}, headers={{name, value},
-- ...} (values without the leading space), body= }.  Returns { stage=
-- the last step done, final= its reply, mail=, rcpt={}, eoh=, body=,
-- eom=, mark= capture offset before the transaction }.
function T.transaction(conn, m)
	local r = { mark = T.mark(), rcpt = {} }
	local function stop(stage, reply)
		r.stage = stage
		r.final = reply
		return r
	end

	if m.macros then
		T.call("macro", mt.macro(conn, SMFIC_MAIL,
		    table.unpack(m.macros)))
	end
	T.call("mailfrom", mt.mailfrom(conn, "<" .. m.from .. ">"))
	r.mail = mt.getreply(conn)
	if r.mail ~= SMFIR_CONTINUE then
		return stop("mail", r.mail)
	end

	T.check(not mt.test_option(conn, SMFIP_NORCPT),
	    "milter negotiated SMFIP_NORCPT: it cannot record recipients")
	for _, to in ipairs(m.rcpts) do
		T.call("rcptto", mt.rcptto(conn, "<" .. to .. ">"))
		local x = mt.getreply(conn)
		r.rcpt[#r.rcpt + 1] = x
		if x ~= SMFIR_CONTINUE then
			return stop("rcpt", x)
		end
	end

	local nr_hdr = SMFIP_NR_HDR ~= nil and
	    mt.test_option(conn, SMFIP_NR_HDR)
	for _, h in ipairs(m.headers) do
		T.call("header", mt.header(conn, h[1], h[2]))
		if not nr_hdr then
			local x = mt.getreply(conn)
			if x ~= SMFIR_CONTINUE then
				return stop("header " .. h[1], x)
			end
		end
	end

	T.call("eoh", mt.eoh(conn))
	r.eoh = mt.getreply(conn)
	if r.eoh ~= SMFIR_CONTINUE then
		return stop("eoh", r.eoh)
	end

	r.body = T.body(conn, m.body or "\r\n")
	if r.body ~= SMFIR_CONTINUE then
		return stop("body", r.body)
	end

	T.call("eom", mt.eom(conn))
	r.eom = mt.getreply(conn)
	return stop("eom", r.eom)
end

-- Reached a step and got one of the wanted replies there.
function T.expect_stage(r, stage, ...)
	if r.stage ~= stage then
		T.fail("transaction stopped at %s with %s, expected it to " ..
		    "reach %s", r.stage, T.rname(r.final), stage)
	end
	T.expect(stage, r.final, ...)
end

---------------------------------------------------------------------------
-- What the milter sent, from mtproxy.pl's capture.

function T.mark()
	local f = io.open(CAPTURE, "rb")
	if f == nil then
		return 0
	end
	local n = f:seek("end")
	f:close()
	return n
end

-- Packets the milter sent since mark: { {cmd=, data=}, ... }.
function T.packets(mark)
	local f = assert(io.open(CAPTURE, "rb"))
	f:seek("set", mark or 0)
	local s = f:read("a") or ""
	f:close()
	local pk, pos = {}, 1
	while pos + 4 <= #s do
		local len = string.unpack(">I4", s, pos)
		if pos + 3 + len > #s then
			break
		end
		pk[#pk + 1] = { cmd = s:sub(pos + 4, pos + 4),
		    data = s:sub(pos + 5, pos + 3 + len) }
		pos = pos + 4 + len
	end
	return pk
end

-- The replacement body (SMFIR_REPLBODY pieces joined), or nil.
function T.replbody(mark)
	local parts = {}
	for _, p in ipairs(T.packets(mark)) do
		if p.cmd == "b" then
			parts[#parts + 1] = p.data
		end
	end
	if #parts == 0 then
		return nil
	end
	return table.concat(parts)
end

-- The text of the last SMFIR_REPLYCODE ("552 5.3.4 ..."), or nil.
function T.replycode(mark)
	local text
	for _, p in ipairs(T.packets(mark)) do
		if p.cmd == "y" then
			text = p.data:gsub("%z$", "")
		end
	end
	return text
end

-- Header edits, in order: { op="change"|"add"|"insert", index=, name=,
-- value= } (change with value "" deletes).
function T.header_ops(mark)
	local ops = {}
	for _, p in ipairs(T.packets(mark)) do
		local op, idx, rest
		if p.cmd == "m" then
			op, idx, rest = "change", string.unpack(">I4", p.data),
			    p.data:sub(5)
		elseif p.cmd == "i" then
			op, idx, rest = "insert", string.unpack(">I4", p.data),
			    p.data:sub(5)
		elseif p.cmd == "h" then
			op, idx, rest = "add", 0, p.data
		end
		if op then
			local name, value = rest:match("^(%Z*)%z(%Z*)")
			ops[#ops + 1] = { op = op, index = idx, name = name,
			    value = value }
		end
	end
	return ops
end

local function strip1(v)
	return (v:gsub("^ ", "", 1))
end

-- With SMFIP_HDR_LEADSPC the MTA copies values verbatim, so a value the
-- milter adds or changes must carry its own leading space.
function T.check_leadspc(conn, ops)
	if not T.leadspc(conn) then
		return
	end
	for _, o in ipairs(ops) do
		if o.value ~= "" and not o.value:match("^[ \t]") then
			T.fail("milter negotiated SMFIP_HDR_LEADSPC but sent " ..
			    "%s of %s with value %q (no leading space: the " ..
			    "MTA would write \"%s:%s\")", o.op, o.name,
			    o.value, o.name, o.value)
		end
	end
end

-- The header block after the edits, as the MTA applies them (indexes are
-- 1-based among same-named fields, case-insensitive; changing a missing
-- field adds it).  Values without their leading space.
function T.apply_headers(orig, ops)
	local h = {}
	for _, x in ipairs(orig) do
		h[#h + 1] = { x[1], x[2] }
	end
	local function nth(name, n)
		local k = 0
		for i, x in ipairs(h) do
			if x[1]:lower() == name:lower() then
				k = k + 1
				if k == n then
					return i
				end
			end
		end
		return nil
	end
	for _, o in ipairs(ops) do
		local v = strip1(o.value)
		if o.op == "change" then
			local i = nth(o.name, o.index)
			if o.value == "" then
				if i then
					table.remove(h, i)
				end
			elseif i then
				h[i] = { h[i][1], v }
			else
				h[#h + 1] = { o.name, v }
			end
		elseif o.op == "add" then
			h[#h + 1] = { o.name, v }
		else
			table.insert(h, math.min(o.index, #h) + 1, { o.name, v })
		end
	end
	return h
end

-- All values of a header field (case-insensitive name).
function T.hvalues(h, name)
	local out = {}
	for _, x in ipairs(h) do
		if x[1]:lower() == name:lower() then
			out[#out + 1] = x[2]
		end
	end
	return out
end

function T.dump_headers(h)
	local out = {}
	for _, x in ipairs(h) do
		out[#out + 1] = "  " .. x[1] .. ": " .. x[2]
	end
	return table.concat(out, "\n")
end

---------------------------------------------------------------------------
-- A small MIME reader for the notification body.

local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function T.base64_decode(s)
	s = s:gsub("[^%w%+/=]", "")
	local out = {}
	for i = 1, #s, 4 do
		local n, pad = 0, 0
		for j = 0, 3 do
			local c = s:sub(i + j, i + j)
			local v = b64:find(c, 1, true)
			if c == "=" or c == "" then
				v = 1
				pad = pad + 1
			end
			n = n * 64 + (v - 1)
		end
		local bytes = string.char((n >> 16) & 255, (n >> 8) & 255,
		    n & 255)
		out[#out + 1] = bytes:sub(1, 3 - pad)
	end
	return table.concat(out)
end

function T.qp_decode(s)
	s = s:gsub("=\r?\n", "")
	return (s:gsub("=(%x%x)", function(x)
		return string.char(tonumber(x, 16))
	end))
end

-- "multipart/alternative; boundary=x" -> "multipart/alternative", params
function T.content_type(v)
	local ct = (v:match("^%s*([^;%s]+)") or ""):lower()
	local params = {}
	for k, q, u in v:gmatch(";%s*([%w%-_]+)%s*=%s*(\"?)([^\";]*)%2") do
		params[k:lower()] = u
	end
	return ct, params
end

local function parse_part(raw)
	local hdr, body = raw:match("^(.-)\r?\n\r?\n(.*)$")
	if hdr == nil then
		hdr, body = raw, ""
	end
	hdr = hdr:gsub("\r?\n[ \t]+", " ")
	local h = {}
	for line in (hdr .. "\n"):gmatch("(.-)\r?\n") do
		local n, v = line:match("^([^:]+):%s*(.*)$")
		if n then
			h[#h + 1] = { n, v }
		end
	end
	return h, body
end

local function decode(h, body)
	local cte = (T.hvalues(h, "Content-Transfer-Encoding")[1] or "7bit")
	cte = cte:lower():gsub("%s", "")
	if cte == "base64" then
		return T.base64_decode(body)
	elseif cte == "quoted-printable" then
		return T.qp_decode(body)
	end
	return body
end

-- Split a multipart body: { {type=, headers=, text= decoded}, ... }.
function T.mime_parts(body, boundary)
	local parts = {}
	local delim = "--" .. boundary
	local pos = 1
	local starts = {}
	while true do
		local s, e = body:find(delim, pos, true)
		if s == nil then
			break
		end
		-- a delimiter starts a line
		if s == 1 or body:sub(s - 1, s - 1) == "\n" then
			starts[#starts + 1] = { s = s, e = e,
			    close = body:sub(e + 1, e + 2) == "--" }
		end
		pos = e + 1
	end
	for i = 1, #starts - 1 do
		if starts[i].close then
			break
		end
		local raw = body:sub(starts[i].e + 1, starts[i + 1].s - 1)
		raw = raw:gsub("^[ \t]*\r?\n", "", 1):gsub("\r?\n$", "", 1)
		local h, b = parse_part(raw)
		local ct = T.content_type(T.hvalues(h, "Content-Type")[1] or
		    "text/plain")
		parts[#parts + 1] = { type = ct, headers = h,
		    text = decode(h, b) }
	end
	return parts
end

---------------------------------------------------------------------------
-- sealpost-admin

function T.q(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Run sealpost-admin -c CONF ARGS; returns stdout, exit code, stderr.
function T.admin(args)
	local errf = WORK .. "/admin.stderr"
	local p = io.popen(T.q(ADMIN) .. " -c " .. T.q(CONF) .. " " .. args ..
	    " 2>" .. T.q(errf))
	local out = p:read("a") or ""
	local _, _, code = p:close()
	local f = io.open(errf, "rb")
	local err = f and f:read("a") or ""
	if f then
		f:close()
	end
	return out, code, err
end

-- The stored messages, from sealpost-admin message list --json.
function T.stored()
	local out, code, err = T.admin("message list --json")
	T.check(code == 0, "sealpost-admin message list --json exited %s: %s%s",
	    tostring(code), out, err)
	local ok, v = pcall(T.json_decode, out)
	T.check(ok and type(v) == "table", "message list --json printed " ..
	    "no JSON array (%s): %q", tostring(v), out)
	return v
end

-- "<Bob@X.test>" -> "bob@x.test"
function T.addr(s)
	return (tostring(s):gsub("^%s*<", ""):gsub(">%s*$", ""):lower())
end

function T.json_decode(s)
	local pos = 1
	local value

	local function ws()
		pos = s:find("[^ \t\r\n]", pos) or #s + 1
	end
	local function err(what)
		error(string.format("JSON: %s at byte %d", what, pos), 0)
	end
	local esc = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b",
	    f = "\f", n = "\n", r = "\r", t = "\t" }
	local function str()
		local out = {}
		pos = pos + 1
		while true do
			local c = s:sub(pos, pos)
			if c == "" then
				err("unterminated string")
			elseif c == '"' then
				pos = pos + 1
				return table.concat(out)
			elseif c == "\\" then
				local e = s:sub(pos + 1, pos + 1)
				if esc[e] then
					out[#out + 1] = esc[e]
					pos = pos + 2
				elseif e == "u" then
					local cp = tonumber(s:sub(pos + 2,
					    pos + 5), 16) or err("bad \\u")
					out[#out + 1] = utf8.char(cp)
					pos = pos + 6
				else
					err("bad escape")
				end
			else
				out[#out + 1] = c
				pos = pos + 1
			end
		end
	end
	function value()
		ws()
		local c = s:sub(pos, pos)
		if c == "{" then
			local obj = {}
			pos = pos + 1
			ws()
			if s:sub(pos, pos) == "}" then
				pos = pos + 1
				return obj
			end
			while true do
				ws()
				if s:sub(pos, pos) ~= '"' then
					err("expected a key")
				end
				local k = str()
				ws()
				if s:sub(pos, pos) ~= ":" then
					err("expected ':'")
				end
				pos = pos + 1
				obj[k] = value()
				ws()
				c = s:sub(pos, pos)
				pos = pos + 1
				if c == "}" then
					return obj
				elseif c ~= "," then
					err("expected ',' or '}'")
				end
			end
		elseif c == "[" then
			local arr = {}
			pos = pos + 1
			ws()
			if s:sub(pos, pos) == "]" then
				pos = pos + 1
				return arr
			end
			while true do
				arr[#arr + 1] = value()
				ws()
				c = s:sub(pos, pos)
				pos = pos + 1
				if c == "]" then
					return arr
				elseif c ~= "," then
					err("expected ',' or ']'")
				end
			end
		elseif c == '"' then
			return str()
		elseif s:sub(pos, pos + 3) == "true" then
			pos = pos + 4
			return true
		elseif s:sub(pos, pos + 4) == "false" then
			pos = pos + 5
			return false
		elseif s:sub(pos, pos + 3) == "null" then
			pos = pos + 4
			return nil
		end
		local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
		if num == nil or num == "" then
			err("unexpected input")
		end
		pos = pos + #num
		return tonumber(num)
	end

	local v = value()
	ws()
	if pos <= #s then
		err("trailing data")
	end
	return v
end

---------------------------------------------------------------------------
-- Checks shared by the secure-path scripts.

-- The notification: body replaced by multipart/alternative (text + HTML)
-- with the portal link, nothing of the original body.  orig = the header
-- list sent; secrets = strings that must not appear.  Returns the
-- resulting header list and the message id in the link.
function T.check_notification(conn, r, orig, secrets)
	T.check(mt.eom_check(conn, MT_BODYCHANGE),
	    "the body was not replaced (no SMFIR_REPLBODY at end of message)")
	local ops = T.header_ops(r.mark)
	T.check_leadspc(conn, ops)
	local h = T.apply_headers(orig, ops)

	local ct = T.hvalues(h, "Content-Type")
	T.check(#ct == 1, "notification has %d Content-Type fields:\n%s",
	    #ct, T.dump_headers(h))
	local ctype, params = T.content_type(ct[1])
	T.check(ctype == "multipart/alternative",
	    "notification Content-Type is %q, expected multipart/alternative",
	    ct[1])
	T.check(params.boundary, "no boundary in Content-Type %q", ct[1])
	local mv = T.hvalues(h, "MIME-Version")
	T.check(#mv == 1 and mv[1]:match("^%s*1%.0"),
	    "notification MIME-Version: %d field(s):\n%s", #mv,
	    T.dump_headers(h))
	local rt = T.hvalues(h, "Reply-To")
	T.check(#rt == 1 and rt[1]:lower():find(NOREPLY:lower(), 1, true),
	    "notification Reply-To should be the noreply_address %s:\n%s",
	    NOREPLY, T.dump_headers(h))

	local body = T.replbody(r.mark)
	for _, s in ipairs(secrets) do
		T.check(not body:find(s, 1, true),
		    "the notification body contains %q from the original", s)
	end
	local parts = T.mime_parts(body, params.boundary)
	local text, html
	for _, p in ipairs(parts) do
		if p.type == "text/plain" then
			text = p.text
		elseif p.type == "text/html" then
			html = p.text
		end
		for _, s in ipairs(secrets) do
			T.check(not p.text:find(s, 1, true),
			    "the notification's %s part contains %q from " ..
			    "the original", p.type, s)
		end
	end
	T.check(text and html, "notification parts: want text/plain and " ..
	    "text/html, got %d part(s); body:\n%s", #parts, body)
	local link = PORTAL_URL:gsub("/$", "") .. "/m/"
	local pat = link:gsub("%p", "%%%0") .. "([%w_%-]+)"
	local id = text:match(pat)
	T.check(id, "text part has no link %s<id>:\n%s", link, text)
	T.check(html:find(link .. id, 1, true),
	    "HTML part lacks the link %s%s:\n%s", link, id, html)
	T.check(#id >= 22, "message id %q is too short for 128 random bits", id)
	return h, id
end

-- Exactly one stored message, with this sender and these recipients.
function T.check_stored_one(id, sender, rcpts)
	local list = T.stored()
	T.check(#list == 1, "%d messages stored, expected 1", #list)
	local m = list[1]
	if id then
		T.check(m.id == id, "stored id %q but the link says %q",
		    tostring(m.id), id)
	end
	T.check(T.addr(m.sender) == T.addr(sender),
	    "stored sender %q, expected %q", tostring(m.sender), sender)
	T.check(type(m.recipients) == "table",
	    "stored recipients is not an array")
	local have = {}
	for _, x in ipairs(m.recipients) do
		have[T.addr(x)] = true
	end
	for _, x in ipairs(rcpts) do
		T.check(have[T.addr(x)], "recipient %s not stored (stored: %s)",
		    x, table.concat(m.recipients, ", "))
	end
	T.check(#m.recipients == #rcpts, "%d recipients stored, expected %d",
	    #m.recipients, #rcpts)
	return m
end

function T.check_stored_none()
	local list = T.stored()
	T.check(#list == 0, "%d message(s) stored, expected none", #list)
end
