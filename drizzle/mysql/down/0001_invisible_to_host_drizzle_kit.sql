ALTER TABLE `extension_storage` ADD CONSTRAINT `extension_storage_one_scope` CHECK((`user_id` = '' OR `resource_type` = '') AND ((`resource_type` = '') = (`resource_id` = '')));
