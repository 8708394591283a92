--- Point groups (Mautic 5): /api/points/groups.
return {
  name = "point_groups", path = "/points/groups", item = "pointGroup", list = "pointGroups",
  examples = {
    create = 'api.point_groups.create{ name = "Engagement" }',
  },
}
