CREATE TABLE `extension_storage` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`uuid` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`extension_id` varbinary(255) NOT NULL,
	`user_id` varbinary(255) NOT NULL DEFAULT '',
	`resource_type` varbinary(64) NOT NULL DEFAULT '',
	`resource_id` varbinary(1020) NOT NULL DEFAULT '',
	`key` varbinary(1020) NOT NULL,
	`value` longblob NOT NULL,
	`value_type` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`category` varbinary(256),
	`description` varchar(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
	`is_encrypted` boolean NOT NULL DEFAULT false,
	`size` int unsigned NOT NULL,
	`version` int unsigned NOT NULL DEFAULT 1,
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	`created_by` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
	`updated_by` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
	CONSTRAINT `extension_storage_id` PRIMARY KEY(`id`),
	CONSTRAINT `extension_storage_uuid` UNIQUE(`uuid`),
	CONSTRAINT `extension_storage_scoped_key` UNIQUE(`extension_id`,`user_id`,`resource_type`,`resource_id`,`key`),
	CONSTRAINT `extension_storage_one_scope` CHECK((`user_id` = '' OR `resource_type` = '') AND ((`resource_type` = '') = (`resource_id` = '')))
);
--> statement-breakpoint
CREATE INDEX `extension_storage_scoped_category` ON `extension_storage` (`extension_id`,`user_id`,`resource_type`,`resource_id`,`category`,`key`);