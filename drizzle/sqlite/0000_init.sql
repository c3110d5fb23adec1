CREATE TABLE `extension_storage` (
	`id` integer PRIMARY KEY NOT NULL,
	`uuid` text NOT NULL,
	`extension_id` text NOT NULL,
	`user_id` text DEFAULT '' NOT NULL,
	`resource_type` text DEFAULT '' NOT NULL,
	`resource_id` text DEFAULT '' NOT NULL,
	`key` text NOT NULL,
	`value` blob NOT NULL,
	`value_type` text NOT NULL,
	`category` text,
	`description` text,
	`is_encrypted` integer DEFAULT false NOT NULL,
	`size` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`created_by` text,
	`updated_by` text,
	CONSTRAINT "extension_storage_one_scope" CHECK(("extension_storage"."user_id" = '' OR "extension_storage"."resource_type" = '') AND (("extension_storage"."resource_type" = '') = ("extension_storage"."resource_id" = '')))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `extension_storage_uuid` ON `extension_storage` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `extension_storage_scoped_key` ON `extension_storage` (`extension_id`,`user_id`,`resource_type`,`resource_id`,`key`);--> statement-breakpoint
CREATE INDEX `extension_storage_scoped_category` ON `extension_storage` (`extension_id`,`user_id`,`resource_type`,`resource_id`,`category`,`key`);