"""Projects run through their process: register, report a lead, complete a task, fire timers, move
to another version; numbering; failed timer jobs."""
