DROP TRIGGER IF EXISTS `extension_storage_quota`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_usage_delete`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_usage_resize`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `extension_storage_usage_insert`;--> statement-breakpoint
DROP INDEX `extension_storage_expires_at` ON `extension_storage`;--> statement-breakpoint
ALTER TABLE `extension_storage` DROP COLUMN `expires_at`;--> statement-breakpoint
DROP TABLE IF EXISTS `extension_storage_usage`;
