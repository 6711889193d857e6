-- Who created a calendar feed link (a staff user's id; NULL for links made with the
-- command line, or before this migration): a link exposes citizens' names, so the page
-- that lists an office's links says who made each.
ALTER TABLE feed_tokens ADD COLUMN created_by TEXT;
