package state

import "github.com/redis/go-redis/v9"

// slideLua drops the counter buckets that have left the window and takes
// their counts off the totals. Bucket keys are built from a prefix that
// carries the hash tag, so they live in the slot of the declared keys.
const slideLua = `
local function slide(totals, buckets, bprefix, oldest)
  local old = redis.call('ZRANGEBYSCORE', buckets, '-inf', '(' .. oldest)
  for _, s in ipairs(old) do
    local key = bprefix .. s
    local kv = redis.call('HGETALL', key)
    for i = 1, #kv, 2 do
      local f = 'c' .. kv[i]
      if redis.call('HINCRBY', totals, f, -tonumber(kv[i + 1])) <= 0 then
        redis.call('HDEL', totals, f)
      end
    end
    redis.call('DEL', key)
    redis.call('ZREM', buckets, s)
  end
end
local function episode_over(st)
  return (not st) or st == 'closed' or st == 'signed'
end
`

// applyScript counts candidate events, each for its hash, in order: all the
// events of one fetch in one call on a single Redis server, the events of
// one hash (one slot) per call on a Redis Cluster.
//
// ARGV starts with what every event shares: oldest bucket in window, cutoff
// ms, state ttl ms, dedup ttl ms, update interval ms, max samples. Then, for
// each event, the number of its arguments and the arguments: partition,
// position, event id, group, event ms, bucket start, bucket ttl ms, device
// id, tenant, then samples as kind/value pairs.
// KEYS: eight for each event: cert, totals, bucket, buckets, offsets, seen,
// episode, episodes index.
//
// Returns, for each event, {outcome, status, new device, episode start,
// certificate ms, owed update}: outcome 0 counted, 1 signed, 2 re-read, 3
// duplicate. An event that brings a new device to an open episode leaves its
// id in the episode's "owed" field until settleScript clears it, once the
// update alert is published; a re-read before then hands the debt out again.
var applyScript = redis.NewScript(slideLua + `
local oldest, cutoff, ttl, dedup_ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local update_ms, max_samples = tonumber(ARGV[5]), tonumber(ARGV[6])

-- later tells whether position p comes after position last. Positions are
-- 63-bit integers, beyond a Lua number's 53 exact bits, so they are sent
-- as 20 digits and compared as text; a stored value of another width, as
-- older versions wrote, is compared as a number.
local function later(p, last)
  if #p == #last then return p > last end
  return tonumber(p) > tonumber(last)
end

local function apply(k, a, n)
  local cert_key, totals, bucket, buckets = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local offsets, seen, ep, episodes = KEYS[k + 4], KEYS[k + 5], KEYS[k + 6], KEYS[k + 7]
  local partition, position, id, group = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local ts, bstart, bucket_ttl, dev = tonumber(ARGV[a + 4]), ARGV[a + 5], ARGV[a + 6], ARGV[a + 7]
  local tenant = ARGV[a + 8]

  local cert = tonumber(redis.call('GET', cert_key) or '0')
  if cert > cutoff then return {1, '', 0, 0, cert, ''} end

  local st = redis.call('HGET', ep, 'status')
  local function reply(code, newdev)
    local s = redis.call('HGET', ep, 'status') or ''
    local start = tonumber(redis.call('HGET', ep, 'start') or '0')
    return {code, s, newdev, start, cert, redis.call('HGET', ep, 'owed') or ''}
  end

  local last = redis.call('HGET', offsets, partition)
  if last and not later(position, last) then return reply(2, 0) end
  redis.call('HSET', offsets, partition, position)
  redis.call('PEXPIRE', offsets, ttl)

  if redis.call('SADD', seen, id) == 0 then return reply(3, 0) end
  redis.call('PEXPIRE', seen, dedup_ttl)

  slide(totals, buckets, string.sub(bucket, 1, -#bstart - 1), oldest)
  redis.call('HINCRBY', bucket, group, 1)
  redis.call('PEXPIRE', bucket, bucket_ttl)
  redis.call('ZADD', buckets, bstart, bstart)
  redis.call('PEXPIRE', buckets, ttl)
  redis.call('HINCRBY', totals, 'c' .. group, 1)
  local first = tonumber(redis.call('HGET', totals, 'f' .. dev) or '0')
  if first == 0 or ts < first then redis.call('HSET', totals, 'f' .. dev, ts) end
  local lastseen = tonumber(redis.call('HGET', totals, 'l' .. dev) or '0')
  if ts > lastseen then redis.call('HSET', totals, 'l' .. dev, ts) end
  redis.call('PEXPIRE', totals, ttl)

  local newdev = 0
  if episode_over(st) then
    redis.call('DEL', ep)
    redis.call('HSET', ep, 'status', 'pending', 'start', ts)
  elseif st == 'pending' then
    if ts < tonumber(redis.call('HGET', ep, 'start')) then
      redis.call('HSET', ep, 'start', ts)
    end
  elseif st == 'open' and redis.call('HEXISTS', ep, 'd' .. dev) == 0 then
    local lu = tonumber(redis.call('HGET', ep, 'lu') or '0')
    if ts - lu >= update_ms then
      redis.call('HSET', ep, 'd' .. dev, 1, 'lu', ts, 'owed', id)
      newdev = 1
    end
  end
  for i = a + 9, a + n - 1, 2 do
    local kind, v = ARGV[i], ARGV[i + 1]
    if v ~= '' and redis.call('HEXISTS', ep, 's' .. kind .. v) == 0 then
      if redis.call('HINCRBY', ep, 'n' .. kind, 1) <= max_samples then
        redis.call('HSET', ep, 's' .. kind .. v, 1)
      end
    end
  end
  redis.call('PEXPIRE', ep, ttl)
  -- The index lives as long as the episodes it lists.
  redis.call('HSET', episodes, tenant, ep)
  redis.call('PEXPIRE', episodes, ttl)
  return reply(0, newdev)
end

local out, a = {}, 7
for k = 1, #KEYS, 8 do
  local n = tonumber(ARGV[a])
  out[#out + 1] = apply(k, a + 1, n)
  a = a + n + 1
end
return out
`)

// signScript records certificate rows, each for its hash, batched as
// applyScript's events are. A row signs the file for every tenant: it ends
// the episode of the row's own tenant scope and those of the hash's
// episodes index.
//
// KEYS: three for each row: cert, the row's episode, episodes index.
// ARGV: three for each row: certificate ms, ttl ms, the row's tenant.
// Returns, for each row, a list of {tenant, action, episode start}, one for
// each episode the row moved, the row's own first: action "close" when an
// alert was open (the episode then waits in "closing" until the close is
// published), "signed" when the hash was still pending.
var signScript = redis.NewScript(`
local function sign(ep)
  local st = redis.call('HGET', ep, 'status')
  local start = tonumber(redis.call('HGET', ep, 'start') or '0')
  if st == 'open' or st == 'closing' then
    redis.call('HSET', ep, 'status', 'closing')
    return 'close', start
  elseif st == 'pending' then
    redis.call('HSET', ep, 'status', 'signed')
    return 'signed', start
  end
  return '', start
end

local out = {}
for r = 0, #KEYS / 3 - 1 do
  local cert_key, own, episodes = KEYS[3 * r + 1], KEYS[3 * r + 2], KEYS[3 * r + 3]
  local ms, ttl, tenant = ARGV[3 * r + 1], ARGV[3 * r + 2], ARGV[3 * r + 3]
  if tonumber(ms) > tonumber(redis.call('GET', cert_key) or '0') then
    redis.call('SET', cert_key, ms, 'PX', ttl)
  end
  local moved = {}
  local action, start = sign(own)
  if action ~= '' then moved[#moved + 1] = {tenant, action, start} end
  local index = redis.call('HGETALL', episodes)
  for i = 1, #index, 2 do
    if index[i + 1] ~= own then
      action, start = sign(index[i + 1])
      if action ~= '' then moved[#moved + 1] = {index[i], action, start} end
    end
  end
  out[#out + 1] = moved
end
return out
`)

// summaryScript slides the window and returns what an alert is built from.
//
// KEYS: cert, totals, buckets, episode. ARGV: oldest bucket, bucket prefix.
// Returns {certificate ms, totals as field/value pairs, episode pairs}.
var summaryScript = redis.NewScript(slideLua + `
slide(KEYS[2], KEYS[3], ARGV[2], ARGV[1])
local cert = tonumber(redis.call('GET', KEYS[1]) or '0')
return {cert, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[4])}
`)

// transitionScript moves an episode from one status to another, and records
// fields on the way; it does nothing when the episode is not in status from.
//
// KEYS: episode. ARGV: from, to, then field/value pairs.
// Returns 1 when the episode moved, 0 otherwise.
var transitionScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`)

// settleScript clears an episode's owed update once it is published, unless
// a newer event owes another one meanwhile.
//
// KEYS: episode. ARGV: the id of the event that owed it.
var settleScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owed') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'owed')
return 1
`)

// claimScript hands out the pending hashes that are due, and pushes each one
// back by a lease, so that a crash before it is done only delays it.
//
// KEYS: pending. ARGV: now ms, lease ms, limit, ttl ms.
var claimScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), m)
end
if #due > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return due
`)

// allScripts are the package's scripts by name, for LoadScripts and
// ScriptName.
var allScripts = map[string]*redis.Script{"apply": applyScript, "sign": signScript,
	"summary": summaryScript, "transition": transitionScript, "settle": settleScript,
	"claim": claimScript}

// ScriptName names the script whose SHA1 is sha, for reports; "unknown"
// when it is none of this package's.
func ScriptName(sha string) string {
	for name, sc := range allScripts {
		if sc.Hash() == sha {
			return name
		}
	}
	return "unknown"
}
