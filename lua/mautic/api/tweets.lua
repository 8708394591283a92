--- Tweets: /api/tweets.
return {
  name = "tweets", path = "/tweets", item = "tweet", list = "tweets",
  examples = {
    create = 'api.tweets.create{ name = "Launch", text = "We are live" }',
  },
}
