// The configurations `oneprompt train --config NAME` knows. A model configuration joins with one line:
//   registerTask(myTask);
import { registerTask, taskNames } from '../../train/task.js';
import { blobsConvTask, blobsTask } from '../../train/tasks/blobs.js';
import { onePromptTask } from './one-prompt-task.js';
import { configs, type ConfigName } from '../../../graphs/oneprompt/config.js';

for (const t of [...(Object.keys(configs) as ConfigName[]).map((name) => onePromptTask(name)), blobsTask, blobsConvTask])
  if (!taskNames().includes(t.name)) registerTask(t);

export { getTask, taskNames } from '../../train/task.js';
