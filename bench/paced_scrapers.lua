-- wrk script for bench/run.sh: each connection is one scraper that waits a random 0.5 to 1.5 s
-- before each scrape, like Prometheus servers scraping on their own intervals (15 to 60 times more
-- often than a usual 15 to 60 s interval), rather than back to back. wrk does not count the wait in
-- the latency.
math.randomseed(os.time())

function delay()
  return math.random(500, 1500)
end
