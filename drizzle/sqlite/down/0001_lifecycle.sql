DROP TRIGGER IF EXISTS `extension_storage_quota_keys`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_quota_bytes`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_usage_delete`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_usage_resize`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_usage_insert`;--> statement-breakpoint
DROP INDEX IF EXISTS `extension_storage_expires_at`;--> statement-breakpoint
ALTER TABLE `extension_storage` DROP COLUMN `expires_at`;--> statement-breakpoint
DROP TABLE IF EXISTS `extension_storage_usage`;
