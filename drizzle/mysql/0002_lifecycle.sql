CREATE TABLE `extension_storage_usage` (
	`extension_id` varbinary(255) NOT NULL,
	`bytes` bigint NOT NULL DEFAULT 0,
	`key_count` bigint NOT NULL DEFAULT 0,
	`max_bytes` bigint,
	`max_keys` bigint,
	CONSTRAINT `extension_storage_usage_extension_id` PRIMARY KEY(`extension_id`)
);
--> statement-breakpoint
ALTER TABLE `extension_storage` ADD `expires_at` datetime(3);--> statement-breakpoint
CREATE INDEX `extension_storage_expires_at` ON `extension_storage` (`expires_at`);--> statement-breakpoint
-- Usage is kept by the database itself, in the transaction of every change: exact under concurrency
-- (the usage row is locked until commit), and for every path that writes. Sizes are unsigned: the
-- difference is taken as signed. A resize that keeps the size leaves the usage row alone (no lock).
CREATE TRIGGER `extension_storage_usage_insert` AFTER INSERT ON `extension_storage` FOR EACH ROW
	INSERT INTO `extension_storage_usage` (`extension_id`, `bytes`, `key_count`) VALUES (NEW.`extension_id`, NEW.`size`, 1)
	ON DUPLICATE KEY UPDATE `bytes` = `bytes` + NEW.`size`, `key_count` = `key_count` + 1;--> statement-breakpoint
CREATE TRIGGER `extension_storage_usage_resize` AFTER UPDATE ON `extension_storage` FOR EACH ROW BEGIN
	IF NEW.`size` <> OLD.`size` THEN
		UPDATE `extension_storage_usage` SET `bytes` = `bytes` + CAST(NEW.`size` AS SIGNED) - CAST(OLD.`size` AS SIGNED)
		WHERE `extension_id` = NEW.`extension_id`;
	END IF;
END;--> statement-breakpoint
CREATE TRIGGER `extension_storage_usage_delete` AFTER DELETE ON `extension_storage` FOR EACH ROW
	UPDATE `extension_storage_usage` SET `bytes` = `bytes` - OLD.`size`, `key_count` = `key_count` - 1 WHERE `extension_id` = OLD.`extension_id`;--> statement-breakpoint
-- Run again after a crash, it recounts (the triggers already keep what was written since).
INSERT INTO `extension_storage_usage` (`extension_id`, `bytes`, `key_count`)
	SELECT `extension_id`, SUM(`size`), COUNT(*) FROM `extension_storage` GROUP BY `extension_id`
	ON DUPLICATE KEY UPDATE `bytes` = VALUES(`bytes`), `key_count` = VALUES(`key_count`);
--> statement-breakpoint
-- Quotas: the library records each extension's quota in its usage row; a change that would take usage
-- past it, and grows it, is refused in the statement that makes it (shrinking always succeeds). The
-- message carries the usage before the change and the limit.
CREATE TRIGGER `extension_storage_quota` BEFORE UPDATE ON `extension_storage_usage` FOR EACH ROW BEGIN
	DECLARE message VARCHAR(128);
	IF NEW.`max_bytes` IS NOT NULL AND NEW.`bytes` > NEW.`max_bytes` AND NEW.`bytes` > OLD.`bytes` THEN
		SET message = CONCAT('extension_storage: quota exceeded: bytes ', OLD.`bytes`, ' ', NEW.`max_bytes`);
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
	END IF;
	IF NEW.`max_keys` IS NOT NULL AND NEW.`key_count` > NEW.`max_keys` AND NEW.`key_count` > OLD.`key_count` THEN
		SET message = CONCAT('extension_storage: quota exceeded: keys ', OLD.`key_count`, ' ', NEW.`max_keys`);
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
	END IF;
END;
