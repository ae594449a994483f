package fleet

import "github.com/redis/go-redis/v9"

// The Lua scripts a node runs. Redis runs each atomically, on its own
// clock (TIME), so that no decision compares two machines' clocks. Every
// key a script touches is passed in KEYS, as Redis Cluster and ACL key
// patterns require.

// heartbeatScript records a node: when Redis heard from it and its event
// clock; forgets nodes unheard of for ARGV[7] ms; renews the node's
// lease, takes the lease when it is free (SET NX PX, with the next
// fencing token) or lets it go; and answers what the node needs to know:
// Redis's time, the lease, the node's token (0 without the lease), the
// newest boundary evaluated, and the nodes heard from in the last
// ARGV[6] ms with when and their clocks.
//
// KEYS: nodes, clocks, lease, token, evaluated.
// ARGV: node, instance, clock ms, lease ms, want the lease (1/0),
// seen window ms, forget after ms.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[7]), 'LIMIT', 0, 100)
for _, n in ipairs(old) do
  redis.call('ZREM', KEYS[1], n)
  redis.call('HDEL', KEYS[2], n)
end
local token = 0
local lease = redis.call('GET', KEYS[3])
if lease then
  local tok, inst = string.match(lease, '^(%d+):(.+)$')
  if inst == ARGV[2] then
    if ARGV[5] == '1' then
      redis.call('PEXPIRE', KEYS[3], ARGV[4])
      token = tonumber(tok)
    else
      redis.call('DEL', KEYS[3])
      lease = false
    end
  end
elseif ARGV[5] == '1' then
  local next = redis.call('INCR', KEYS[4])
  local value = next .. ':' .. ARGV[2]
  if redis.call('SET', KEYS[3], value, 'NX', 'PX', ARGV[4]) then
    token = next
    lease = value
  end
end
local out = {now, lease or '', token, redis.call('GET', KEYS[5]) or ''}
local seen = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[6]), '+inf', 'WITHSCORES', 'LIMIT', 0, 1000)
for i = 1, #seen, 2 do
  out[#out + 1] = seen[i]
  out[#out + 1] = seen[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], seen[i]) or '0'
end
return out
`)

// viewScript is the evaluator's look at the fleet before each round:
// Redis's time, whether the lease is still ARGV[1], and the nodes heard
// from in the last ARGV[2] ms with their clocks.
//
// KEYS: nodes, clocks, lease.
var viewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ours = 0
if redis.call('GET', KEYS[3]) == ARGV[1] then ours = 1 end
local out = {now, ours}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[2]), '+inf', 'LIMIT', 0, 1000)
for _, n in ipairs(live) do
  out[#out + 1] = n
  out[#out + 1] = redis.call('HGET', KEYS[2], n) or '0'
end
return out
`)

// commitScript writes the evaluator's alert state and the newest boundary
// it evaluated, only while the lease is still its own (ARGV[1], fencing
// token included): an evaluator that lost its lease, however late it
// wakes, cannot overwrite its successor's state. It returns 1 when
// written, 0 when fenced off.
//
// KEYS: lease, state, evaluated. ARGV: lease value, state, evaluated ms,
// time to live ms.
var commitScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
return 1
`)

// topScript returns the ARGV[1] busiest members of the union of the
// sorted sets in KEYS (a window's steps), busiest first, with their
// summed counts: member, count, member, count, …
var topScript = redis.NewScript(`
local args = {'ZUNION', #KEYS}
for _, k in ipairs(KEYS) do args[#args + 1] = k end
args[#args + 1] = 'WITHSCORES'
local all = redis.call(unpack(args))
local n = tonumber(ARGV[1])
local out = {}
local i = #all - 1
while i >= 1 and #out < 2 * n do
  out[#out + 1] = all[i]
  out[#out + 1] = all[i + 1]
  i = i - 2
end
return out
`)
