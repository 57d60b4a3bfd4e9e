include $(sort $(wildcard $(BR2_EXTERNAL_HOOKSWITCH_PATH)/package/*/*.mk))
