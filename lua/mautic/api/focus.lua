--- Focus items (pop-ups, bars): /api/focus. Mautic uses "focus" as both the
-- item and the list key.
return {
  name = "focus", path = "/focus", item = "focus", list = "focus",
  examples = { create = 'api.focus.create{ name = "Newsletter bar", type = "form", style = "bar", form = 3 }' },
  verbs = {
    -- {focusId}, not {id}: the answer is the point, so no entity method (those return the entity)
    { "js", "POST", "/focus/{focusId}/js", result = "js",
      doc = "The generated JavaScript of a focus item, as a string.",
      example = 'local code = api.focus.js(2)' },
  },
}
