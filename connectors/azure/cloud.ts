import type { Config } from './config.ts';

export interface CloudSettings {
  /** ARM base URL. */
  endpoint: string;
  /** Token audience for ARM in that cloud. */
  scope: string;
  /** Microsoft Entra login authority for that cloud. */
  authorityHost: string;
}

/** Each sovereign cloud has its own ARM host, token audience and login authority; all three must agree. */
const CLOUDS: Record<NonNullable<Config['cloud']>, CloudSettings> = {
  AzurePublicCloud: {
    endpoint: 'https://management.azure.com',
    scope: 'https://management.azure.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  },
  AzureChinaCloud: {
    endpoint: 'https://management.chinacloudapi.cn',
    scope: 'https://management.chinacloudapi.cn/.default',
    authorityHost: 'https://login.chinacloudapi.cn',
  },
  AzureUSGovernment: {
    endpoint: 'https://management.usgovcloudapi.net',
    scope: 'https://management.usgovcloudapi.net/.default',
    authorityHost: 'https://login.microsoftonline.us',
  },
};

export function cloudSettings(cloud: Config['cloud']): CloudSettings {
  return CLOUDS[cloud ?? 'AzurePublicCloud'];
}
