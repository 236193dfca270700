"""Notifications: the in-app centre, the outbox written in the step's own transaction, the
outbound channels behind one interface, and the timed reminders (due soon, overdue, 督办);
`worker.work` is what the timer worker runs beside the timers."""
