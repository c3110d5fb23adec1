CREATE TABLE `extension_storage_usage` (
	`extension_id` text PRIMARY KEY NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`key_count` integer DEFAULT 0 NOT NULL,
	`max_bytes` integer,
	`max_keys` integer
);
--> statement-breakpoint
ALTER TABLE `extension_storage` ADD `expires_at` integer;--> statement-breakpoint
CREATE INDEX `extension_storage_expires_at` ON `extension_storage` (`expires_at`) WHERE "extension_storage"."expires_at" IS NOT NULL;--> statement-breakpoint
-- Usage is kept by the database itself, in the transaction of every change: exact under concurrency,
-- and for every path that writes (the library's statements, a host's own SQL, cleanup, expiry purges).
CREATE TRIGGER `extension_storage_usage_insert` AFTER INSERT ON `extension_storage` BEGIN
	INSERT OR IGNORE INTO `extension_storage_usage` (`extension_id`) VALUES (NEW.`extension_id`);
	UPDATE `extension_storage_usage` SET `bytes` = `bytes` + NEW.`size`, `key_count` = `key_count` + 1 WHERE `extension_id` = NEW.`extension_id`;
END;--> statement-breakpoint
CREATE TRIGGER `extension_storage_usage_resize` AFTER UPDATE OF `size` ON `extension_storage` WHEN OLD.`size` <> NEW.`size` BEGIN
	UPDATE `extension_storage_usage` SET `bytes` = `bytes` + NEW.`size` - OLD.`size` WHERE `extension_id` = NEW.`extension_id`;
END;--> statement-breakpoint
CREATE TRIGGER `extension_storage_usage_delete` AFTER DELETE ON `extension_storage` BEGIN
	UPDATE `extension_storage_usage` SET `bytes` = `bytes` - OLD.`size`, `key_count` = `key_count` - 1 WHERE `extension_id` = OLD.`extension_id`;
END;--> statement-breakpoint
INSERT INTO `extension_storage_usage` (`extension_id`, `bytes`, `key_count`)
	SELECT `extension_id`, SUM(`size`), COUNT(*) FROM `extension_storage` GROUP BY `extension_id`;
--> statement-breakpoint
-- Quotas: the library records each extension's quota in its usage row; a change that would take usage
-- past it, and grows it, is refused in the statement that makes it (shrinking always succeeds). The
-- message carries the usage before the change and the limit (an expression in RAISE: SQLite 3.47+).
CREATE TRIGGER `extension_storage_quota_bytes` BEFORE UPDATE OF `bytes` ON `extension_storage_usage`
	WHEN NEW.`max_bytes` IS NOT NULL AND NEW.`bytes` > NEW.`max_bytes` AND NEW.`bytes` > OLD.`bytes` BEGIN
	SELECT RAISE(ABORT, 'extension_storage: quota exceeded: bytes ' || OLD.`bytes` || ' ' || NEW.`max_bytes`);
END;--> statement-breakpoint
CREATE TRIGGER `extension_storage_quota_keys` BEFORE UPDATE OF `key_count` ON `extension_storage_usage`
	WHEN NEW.`max_keys` IS NOT NULL AND NEW.`key_count` > NEW.`max_keys` AND NEW.`key_count` > OLD.`key_count` BEGIN
	SELECT RAISE(ABORT, 'extension_storage: quota exceeded: keys ' || OLD.`key_count` || ' ' || NEW.`max_keys`);
END;
