-- One check of one or more budgets, atomic in Redis (GCRA, the algorithm governor uses
-- in memory). Each key holds its budget's theoretical arrival time (TAT) in ms on Redis's
-- own clock, so every instance agrees on the time whatever its own clock says, and
-- expires when the budget is full again. Needs Redis 5 or later (a write after TIME).
-- ARGV[1]: 'take' (spend one from each budget if every one has room, else none), 'peek'
-- (spend nothing) or 'charge' (spend one from each even past its burst: a failed look-up
-- always counts). Then for each KEYS[i]: ARGV[2i] its period in ms (one request's share
-- of the rate, fractional) and ARGV[2i+1] its burst.
-- Answers {allowed (1 or 0), requests left in the tightest budget, ms until every budget
-- is full again (allowed) or ms to wait (refused), the position of the budget that
-- refused (1-based; 0 when allowed)}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local mode = ARGV[1]
local afters = {}
local wait = 0
local refusing = 0
for i, key in ipairs(KEYS) do
  local period = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then
    tat = now
  end
  afters[i] = tat + period
  local over = afters[i] - now - burst * period
  if over > wait then
    wait = over
    refusing = i
  end
end
if wait > 0 and mode ~= 'charge' then
  return {0, 0, math.ceil(wait), refusing}
end
if mode == 'peek' then
  return {1, 0, 0, 0}
end
local remaining = nil
local full_in = 0
for i, key in ipairs(KEYS) do
  local period = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local ahead = afters[i] - now
  redis.call('SET', key, string.format('%.3f', afters[i]), 'PX',
    string.format('%.0f', math.max(1, math.ceil(ahead))))
  local left = math.max(0, math.floor((burst * period - ahead) / period + 1e-9))
  if remaining == nil or left < remaining then
    remaining = left
  end
  if ahead > full_in then
    full_in = ahead
  end
end
return {1, remaining or 0, math.ceil(full_in), 0}
