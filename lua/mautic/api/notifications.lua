--- Web push notifications: /api/notifications.
return {
  name = "notifications", path = "/notifications", item = "notification", list = "notifications",
  examples = {
    create = 'api.notifications.create{ name = "Sale", heading = "Sale", message = "50% off" }',
  },
}
